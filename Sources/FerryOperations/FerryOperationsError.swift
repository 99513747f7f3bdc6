/// Failures of the use cases themselves (export, import, copy, inspect): what the user asked
/// for cannot be done with this input, these options or this output. Lower layers' errors
/// (format, transfer, registry) pass through unchanged.
public enum FerryOperationsError: Error, Sendable, CustomStringConvertible {
    /// The input, or an option about it, cannot be used as asked (`path` names the input, the
    /// option value or the image).
    case input(path: String, reason: String)
    /// The output cannot be written as asked.
    case output(path: String, reason: String)
    case noImages
    /// `verify --registry`: the target lacks `missing` of the `total` images checked (a bundle's or a plan's), in whole
    /// or in part (the report names what).
    case targetIncomplete(registry: String, missing: Int, total: Int)

    public var description: String {
        switch self {
        case .input(let path, let reason), .output(let path, let reason):
            return "\(path): \(reason)"
        case .noImages:
            return "no images given (pass references or -f FILE)"
        case .targetIncomplete(let registry, let missing, let total):
            return "\(registry): \(missing) of \(total) images checked are missing or incomplete there"
        }
    }
}
