/// Failures reading or writing tar archives. libarchive's own message and return code are kept.
public enum FerryArchiveError: Error, Sendable, CustomStringConvertible {
    case libarchive(operation: String, code: Int32, message: String, path: String)
    case nameTooLong(String)
    case unsafeMemberName(String, reason: String)
    case truncated(path: String, member: String?)
    case malformedHeader(path: String, offset: Int64, reason: String)
    /// A compressed input expands to more than `limit` bytes (a decompression bomb, or an input
    /// far outside what an image bundle looks like); nothing past the limit was written.
    case decompressionLimit(path: String, limit: Int64)

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
        case .decompressionLimit(let path, let limit):
            return "\(path): decompresses to more than \(limit) bytes, the limit for this input (a decompression bomb?); nothing past the limit was written"
        }
    }
}
