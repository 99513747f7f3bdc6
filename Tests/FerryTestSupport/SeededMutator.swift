/// SplitMix64: a small, fast, seeded generator, so property tests replay exactly from the seed
/// they print.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Mutation fuzzing for parsers: takes real-looking seeds and inserts, deletes, replaces and
/// duplicates pieces, drawing from tokens that have broken parsers before (separators, path
/// traversal, percent escapes, quotes, NUL, combining marks, full-width digits, bidi controls),
/// so most generated inputs are near-misses of valid ones rather than noise.
public struct SeededMutator: Sendable {
    public var random: SeededRandom

    /// Pieces inserted or substituted; unicode scalars, not bytes, because the parsers take
    /// `String` (which cannot hold invalid UTF-8).
    public static let tokens: [String] = [
        "/", "//", "..", "../", "./", ".", "%", "%2e%2e", "%2F", "%00", "\"", "'", ",", ", ", "\0", ":", "::", "@", "=",
        "\\", "\\\"", " ", "\t", "\r\n", "-", "--", "_", "__", "a", "Z", "0", "9", "f", "sha256:", "sha512:", "md5:",
        "é", "e\u{301}", "\u{301}", "\u{200B}", "\u{202E}", "\u{FF10}", "\u{FF41}", "İ", "ß", "😀", "\u{7F}", "\u{1}",
        "/\u{301}", "../\u{301}", "\u{20DD}", "[", "]", "[::1]", ":5000", "localhost", "docker.io", "library", "realm=", "Bearer ", "Basic ",
    ]

    public init(seed: UInt64) { random = SeededRandom(seed: seed) }

    /// `seed` after 1 to `maximumEdits` random edits.
    public mutating func mutate(_ seed: String, maximumEdits: Int = 4) -> String {
        var scalars = Array(seed.unicodeScalars)
        for _ in 0...random.below(maximumEdits) {
            let position = random.below(scalars.count + 1)
            switch random.below(7) {
            case 0, 1:
                scalars.insert(contentsOf: random.pick(Self.tokens).unicodeScalars, at: position)
            case 2:
                guard position < scalars.count else { continue }
                scalars.removeSubrange(position..<min(scalars.count, position + 1 + random.below(3)))
            case 3:
                guard position < scalars.count else { continue }
                scalars.replaceSubrange(position...position, with: random.pick(Self.tokens).unicodeScalars)
            case 4:
                guard position < scalars.count else { continue }
                let end = min(scalars.count, position + 1 + random.below(8))
                scalars.insert(contentsOf: scalars[position..<end], at: random.below(scalars.count + 1))
            case 5:
                // A random scalar from the whole range (skipping surrogates).
                let value = UInt32(random.below(0x3_0000))
                if let scalar = Unicode.Scalar(value) { scalars.insert(scalar, at: position) }
            default:
                guard position < scalars.count else { continue }
                let scalar = scalars[position]
                let flipped = scalar.properties.isUppercase ? scalar.properties.lowercaseMapping : scalar.properties.uppercaseMapping
                scalars.replaceSubrange(position...position, with: flipped.unicodeScalars)
            }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        return String(text)
    }
}
