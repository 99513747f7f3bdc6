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

    /// The digest's first 32 bytes (all of a sha256), each word big-endian so that words
    /// compare as the hex does. Held as bytes, not as hex text: a decoded 71-character string
    /// is a heap object of its own, and a 10,000-image bundle verify decoded 120,000 of them
    /// (14 MB); bytes sit inline in the value.
    private let head: Words
    /// A sha512's other 32 bytes (as words); nil for sha256. Out of line, as sha512 is rare:
    /// inline, every sha256 digest would carry 33 unused bytes.
    private let tail: [UInt64]?
    /// Declared last, so it packs after the words (48 bytes a digest).
    public let algorithm: Algorithm

    /// Four big-endian words of a digest.
    private struct Words: Hashable, Sendable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64

        init(_ bytes: some Collection<UInt8>) {
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for (position, byte) in bytes.prefix(32).enumerated() {
                let shifted = UInt64(byte) << (56 - 8 * UInt64(position % 8))
                switch position / 8 {
                case 0: words.0 |= shifted
                case 1: words.1 |= shifted
                case 2: words.2 |= shifted
                default: words.3 |= shifted
                }
            }
            (a, b, c, d) = words
        }

        var list: [UInt64] { [a, b, c, d] }
    }

    /// Parses `algorithm:hex`, rejecting unknown algorithms and malformed hex.
    public init(parsing text: String) throws(FerryCoreError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw .invalidDigest(text, reason: "missing \"algorithm:\" prefix")
        }
        let name = String(text[..<colon])
        guard let algorithm = Algorithm(rawValue: name) else {
            throw .invalidDigest(text, reason: "unsupported algorithm \"\(name.prefix(32))\" (sha256 and sha512 are accepted)")
        }
        try self.init(algorithm: algorithm, hexDigits: text.utf8[text.utf8.index(after: colon)...])
    }

    /// Creates a digest from its parts, validating the hex encoding.
    public init(algorithm: Algorithm, hex: String) throws(FerryCoreError) {
        try self.init(algorithm: algorithm, hexDigits: hex.utf8[...])
    }

    private init(algorithm: Algorithm, hexDigits: Substring.UTF8View) throws(FerryCoreError) {
        guard hexDigits.count == algorithm.hexLength else {
            throw .invalidDigest("\(algorithm.rawValue):\(String(Substring(hexDigits)))",
                                 reason: "\(algorithm.rawValue) needs \(algorithm.hexLength) hex characters, found \(hexDigits.count)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hexDigits.count / 2)
        var high: UInt8?
        for character in hexDigits {
            let value: UInt8
            switch character {
            case 0x30...0x39: value = character - 0x30
            case 0x61...0x66: value = character - 0x61 + 10
            default:
                throw .invalidDigest("\(algorithm.rawValue):\(String(Substring(hexDigits)))", reason: "hex must be lowercase 0-9a-f")
            }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// A digest from its bytes (a hash just computed): 32 for sha256, 64 for sha512.
    init(algorithm: Algorithm, bytes: some Collection<UInt8>) {
        self.algorithm = algorithm
        head = Words(bytes)
        tail = algorithm == .sha512 ? Words(bytes.dropFirst(32)).list : nil
    }

    /// The lowercase hex encoding.
    public var hex: String {
        let words = head.list + (tail ?? [])
        let digits = Self.hexDigits
        return String(unsafeUninitializedCapacity: words.count * 16) { buffer in
            var position = 0
            for word in words {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[position] = digits[Int((word >> UInt64(shift)) & 0xf)]
                    position += 1
                }
            }
            return position
        }
    }

    /// Made once: `hex` is asked for with every URL and member path a digest goes into.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `algorithm:hex`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The member path of this blob inside an OCI layout: `blobs/<algorithm>/<hex>`.
    public var layoutPath: String { "blobs/\(algorithm.rawValue)/\(hex)" }

    /// The digest a layout member path names (`blobs/<algorithm>/<hex>`, the inverse of
    /// `layoutPath`), or nil for any other path.
    public init?(layoutPath path: some StringProtocol) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blobs", let algorithm = Algorithm(rawValue: String(parts[1])),
              let digest = try? Digest(algorithm: algorithm, hexDigits: Substring(parts[2]).utf8) else { return nil }
        self = digest
    }

    /// A short form for progress lines: `sha256:0123456789ab`.
    public var short: String { "\(algorithm.rawValue):\(hex.prefix(12))" }

    /// The order of `description`: by algorithm name, then by hex, which big-endian words keep.
    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        if lhs.algorithm != rhs.algorithm { return lhs.algorithm.rawValue < rhs.algorithm.rawValue }
        let (left, right) = (lhs.head, rhs.head)
        if left.a != right.a { return left.a < right.a }
        if left.b != right.b { return left.b < right.b }
        if left.c != right.c { return left.c < right.c }
        if left.d != right.d { return left.d < right.d }
        return (lhs.tail ?? []).lexicographicallyPrecedes(rhs.tail ?? [])
    }
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
