/// Failures of `ferry serve`, each naming what it was given.
public enum FerryServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `number`th bundle given (0-based) cannot be served as it is.
    case bundle(number: Int, reason: String)
    /// A read of a blob already proven whole came back short: the file changed while served.
    case changed(path: String, offset: Int64, expected: Int, read: Int)
    /// The server could not be set up (address, TLS files, password file) or stopped on an error.
    case server(reason: String)

    public var description: String {
        switch self {
        case .bundle(let number, let reason): return "bundle \(number + 1): \(reason)"
        case .changed(let path, let offset, let expected, let read):
            return "\(path) changed while served: \(read) of \(expected) bytes at offset \(offset) could be read"
        case .server(let reason): return reason
        }
    }
}
