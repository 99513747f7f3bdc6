/// Everything that can go wrong while parsing or verifying ferry's value types.
///
/// Each case carries the evidence a user needs to act on: the offending input (never a secret),
/// what was expected and what was found.
public enum FerryCoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidDigest(String, reason: String)
    case invalidReference(String, reason: String)
    case invalidPlatform(String, reason: String)
    case invalidMediaType(String)
    case malformedManifest(digest: Digest?, reason: String)
    case sizeExceeded(digest: Digest, expected: Int64, received: Int64)
    case sizeMismatch(digest: Digest, expected: Int64, actual: Int64)
    case digestMismatch(expected: Digest, actual: Digest)
    case io(operation: String, path: String, errno: Int32)
    case invalidKey(reason: String)
    /// A document ferry builds could not be encoded (a defect in ferry, not in the input).
    case encoding(document: String, reason: String)

    public var description: String {
        switch self {
        case .invalidDigest(let input, let reason):
            return "invalid digest \"\(input.prefix(160))\": \(reason)"
        case .invalidReference(let input, let reason):
            return "invalid image reference \"\(input.prefix(300))\": \(reason)"
        case .invalidPlatform(let input, let reason):
            return "invalid platform \"\(input.prefix(100))\": \(reason)"
        case .invalidMediaType(let input):
            return "invalid media type \"\(input.prefix(200))\""
        case .malformedManifest(let digest, let reason):
            return "malformed manifest\(digest.map { " \($0)" } ?? ""): \(reason)"
        case .sizeExceeded(let digest, let expected, let received):
            return "blob \(digest) is larger than its descriptor says: expected \(expected) bytes, received at least \(received)"
        case .sizeMismatch(let digest, let expected, let actual):
            return "blob \(digest) has the wrong size: expected \(expected) bytes, got \(actual)"
        case .digestMismatch(let expected, let actual):
            return "digest mismatch: expected \(expected), content hashes to \(actual)"
        case .invalidKey(let reason):
            return "invalid key: \(reason)"
        case .encoding(let document, let reason):
            return "cannot encode \(document): \(reason)"
        case .io(let operation, let path, let errno):
            return "\(operation) \(path): \(String(cString: strerror(errno)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
