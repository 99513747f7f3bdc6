/// Failures reading or writing tar archives. libarchive's own message and return code are kept.
public enum FerryArchiveError: Error, Sendable, CustomStringConvertible {
    case libarchive(operation: String, code: Int32, message: String, path: String)
    case nameTooLong(String)
    case unsafeMemberName(String, reason: String)
    case truncated(path: String, member: String?)
    case malformedHeader(path: String, offset: Int64, reason: String)

    public var description: String {
        switch self {
        case .libarchive(let operation, let code, let message, let path):
            return "\(path): \(operation) failed: \(message) (libarchive \(code))"
        case .nameTooLong(let name):
            return "tar member name too long: \(name.prefix(200))…"
        case .unsafeMemberName(let name, let reason):
            return "unsafe tar member name \"\(name.prefix(200))\": \(reason)"
        case .truncated(let path, let member):
            return "\(path): archive ends early\(member.map { " inside member \($0)" } ?? "")"
        case .malformedHeader(let path, let offset, let reason):
            return "\(path): bad tar header at byte \(offset): \(reason)"
        }
    }
}
