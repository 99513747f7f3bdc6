/// A content address: `algorithm:hex`, validated when it is created.
///
/// Only `sha256` and `sha512` are accepted and the hex part must be lowercase and of the exact
/// length, so a `Digest` is always safe to put into a file path or a URL
/// (`formats/oci-layout/SPEC.md`). Anything else (`md5:…`, `sha256:../../x`) is rejected here,
/// before it can touch a path.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The digest algorithms ferry accepts.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256, sha512

        /// Number of lowercase hex characters an encoded digest of this algorithm has.
        public var hexLength: Int {
            switch self {
            case .sha256: return 64
            case .sha512: return 128
            }
        }
    }

    public let algorithm: Algorithm
    /// The lowercase hex encoding.
    public let hex: String

    /// Parses `algorithm:hex`, rejecting unknown algorithms and malformed hex.
    public init(parsing text: String) throws(FerryCoreError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw .invalidDigest(text, reason: "missing \"algorithm:\" prefix")
        }
        let name = String(text[..<colon])
        guard let algorithm = Algorithm(rawValue: name) else {
            throw .invalidDigest(text, reason: "unsupported algorithm \"\(name.prefix(32))\" (sha256 and sha512 are accepted)")
        }
        let hex = String(text[text.index(after: colon)...])
        try self.init(algorithm: algorithm, hex: hex)
    }

    /// Creates a digest from its parts, validating the hex encoding.
    public init(algorithm: Algorithm, hex: String) throws(FerryCoreError) {
        guard hex.utf8.count == algorithm.hexLength else {
            throw .invalidDigest("\(algorithm.rawValue):\(hex)",
                                 reason: "\(algorithm.rawValue) needs \(algorithm.hexLength) hex characters, found \(hex.utf8.count)")
        }
        guard hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw .invalidDigest("\(algorithm.rawValue):\(hex)", reason: "hex must be lowercase 0-9a-f")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// `algorithm:hex`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The member path of this blob inside an OCI layout: `blobs/<algorithm>/<hex>`.
    public var layoutPath: String { "blobs/\(algorithm.rawValue)/\(hex)" }

    /// A short form for progress lines: `sha256:0123456789ab`.
    public var short: String { "\(algorithm.rawValue):\(hex.prefix(12))" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
