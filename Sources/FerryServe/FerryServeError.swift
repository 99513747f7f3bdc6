/// Failures of `ferry serve`, each naming what it was given.
public enum FerryServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `number`th bundle given (0-based) cannot be served as it is.
    case bundle(number: Int, reason: String)

    public var description: String {
        switch self {
        case .bundle(let number, let reason): return "bundle \(number + 1): \(reason)"
        }
    }
}
