/// A semantic version read from an image tag, for `images-by-semver` (skopeo sync).
///
/// Parsing is as lenient as the library skopeo uses (Masterminds/semver `NewVersion`): an
/// optional leading `v`, and missing minor or patch parts read as 0 (`v1.2` is 1.2.0). A tag
/// that is not a version at all (`latest`, `stable-alpine`) gives nil and is skipped.
/// Ordering follows semver.org §11: numbers compare numerically, a prerelease sorts before its
/// release, build metadata is ignored.
public struct SemanticVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Numeric parts; missing ones read as 0.
    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    /// Dot-separated prerelease identifiers (`rc1`, `beta.2`); empty for a release.
    public let prerelease: [String]
    /// Build metadata (`+build.5`), ignored for ordering.
    public let build: String?

    /// A version from its parts.
    public init(major: UInt64, minor: UInt64, patch: UInt64, prerelease: [String] = [], build: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses a tag (`v1.2`, `1.2.3-rc1`); nil when it is not a version.
    public init?(_ text: String) {
        guard let parsed = Self.parseParts(text), parsed.numbers.count >= 1 else { return nil }
        self.init(major: parsed.numbers[0], minor: parsed.numbers.count > 1 ? parsed.numbers[1] : 0,
                  patch: parsed.numbers.count > 2 ? parsed.numbers[2] : 0,
                  prerelease: parsed.prerelease, build: parsed.build)
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if let build { text += "+" + build }
        return text
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        return comparePrerelease(lhs.prerelease, rhs.prerelease) < 0
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// semver.org §11.4: no prerelease > any prerelease; identifiers left to right, numeric
    /// ones numerically and below alphanumeric ones; a longer list wins a tie.
    static func comparePrerelease(_ a: [String], _ b: [String]) -> Int {
        if a.isEmpty || b.isEmpty { return a.isEmpty == b.isEmpty ? 0 : (a.isEmpty ? 1 : -1) }
        for (x, y) in zip(a, b) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case let (m?, n?): return m < n ? -1 : 1
            case (_?, nil): return -1
            case (nil, _?): return 1
            case (nil, nil): return x < y ? -1 : 1
            }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Splits `v1.2.3-rc.1+b5` into numbers (1 to 3 of them; `x`, `X` and `*` are not numbers
    /// here), prerelease identifiers and build metadata.
    static func parseParts(_ text: String, allowWildcards: Bool = false) -> (numbers: [UInt64], wildcardAt: Int?, prerelease: [String], build: String?)? {
        var rest = Substring(text)
        if rest.hasPrefix("v") || rest.hasPrefix("V") { rest = rest.dropFirst() }
        var build: String?
        if let plus = rest.firstIndex(of: "+") {
            build = String(rest[rest.index(after: plus)...])
            guard let build, isIdentifierList(build) else { return nil }
            rest = rest[..<plus]
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            let text = String(rest[rest.index(after: dash)...])
            guard isIdentifierList(text) else { return nil }
            prerelease = text.split(separator: ".").map(String.init)
            rest = rest[..<dash]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        var wildcardAt: Int?
        for (index, part) in parts.enumerated() {
            if allowWildcards && (part == "x" || part == "X" || part == "*") {
                if wildcardAt == nil { wildcardAt = index }
                continue
            }
            guard wildcardAt == nil, !part.isEmpty, part.count <= 19, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt64(part) else { return nil }
            numbers.append(value)
        }
        return (numbers, wildcardAt, prerelease, build)
    }

    private static func isIdentifierList(_ text: String) -> Bool {
        let identifiers = text.split(separator: ".", omittingEmptySubsequences: false)
        return !identifiers.isEmpty && identifiers.allSatisfy { identifier in
            !identifier.isEmpty && identifier.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
