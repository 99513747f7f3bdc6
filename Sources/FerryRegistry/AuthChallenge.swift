/// One challenge of a `WWW-Authenticate` header (RFC 7235): a scheme and its parameters.
///
/// Registries send `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. Parameter
/// names are case-insensitive (stored lowercased); values may be quoted with `\` escapes.
public struct AuthChallenge: Sendable, Equatable {
    public var scheme: String
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses every challenge in a header value. Unparseable input yields no challenges.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var scanner = Scanner(Array(header.utf8))
        while true {
            scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2c }
            let scheme = scanner.token()
            guard !scheme.isEmpty else { break }
            var parameters: [String: String] = [:]
            while true {
                let mark = scanner.position
                scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2c }
                let name = scanner.token()
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard !name.isEmpty, scanner.consume(0x3d) else {
                    scanner.position = mark  // not a parameter: the next challenge starts here
                    break
                }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                parameters[name.lowercased()] = scanner.peek == 0x22 ? scanner.quoted() : scanner.token()
            }
            challenges.append(AuthChallenge(scheme: scheme, parameters: parameters))
            if scanner.atEnd { break }
        }
        return challenges
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[position] }

        mutating func skip(while predicate: (UInt8) -> Bool) {
            while let c = peek, predicate(c) { position += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        /// RFC 7230 token characters (plus `/` and `:` seen in unquoted realms in the wild).
        mutating func token() -> String {
            let start = position
            skip { c in
                !(c == 0x20 || c == 0x09 || c == 0x2c || c == 0x3d || c == 0x22) && c > 0x1f && c < 0x7f
            }
            // A token68 value (Basic credentials) may end in '='.
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func quoted() -> String {
            position += 1
            var out: [UInt8] = []
            while let c = peek {
                position += 1
                if c == 0x5c, let next = peek { out.append(next); position += 1; continue }
                if c == 0x22 { break }
                out.append(c)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
