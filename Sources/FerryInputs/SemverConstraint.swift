/// A version constraint for `images-by-semver`, in the syntax skopeo documents (that of
/// Masterminds/semver v3, `formats/sync-files/SPEC.md`, "Semver constraints"):
///
/// - comparisons `=`, `!=`, `>`, `<`, `>=`, `<=` (also `=>`, `=<`); no operator means `=`;
/// - `~1.2.3` (>= 1.2.3, < 1.3.0), `~1` (>= 1, < 2), `~>` is the same as `~`;
/// - `^1.2.3` (>= 1.2.3, < 2.0.0), `^0.2.3` (< 0.3.0), `^0.0.3` (< 0.0.4);
/// - wildcards `1.2.x`, `1.*`, `*`, and short versions `1.2` (a missing part is a wildcard);
/// - hyphen ranges `1.2 - 1.4.5` (>= 1.2, <= 1.4.5);
/// - AND: comma or whitespace between comparisons (`>= 1.2.0, < 2.0.0`); OR: `||`.
///
/// A prerelease tag (`1.2.3-rc1`) matches only an alternative in which some comparison names a
/// prerelease (`>= 1.2.3-rc0, < 2.0.0`), as Masterminds/semver and node-semver intend:
/// `>= 1.0.0` does not select release candidates.
public struct SemverConstraint: Sendable, Equatable, CustomStringConvertible {
    /// What the user wrote.
    public let text: String
    /// Alternatives (`||`), each a list of comparisons that must all hold.
    let alternatives: [[Comparison]]

    struct Comparison: Sendable, Equatable {
        enum Operator: String, Sendable { case equal = "=", notEqual = "!=", greater = ">", less = "<",
                                               greaterOrEqual = ">=", lessOrEqual = "<=", tilde = "~", caret = "^" }
        let op: Operator
        /// The version with wildcard parts set to 0.
        let version: SemanticVersion
        /// How many leading numbers were given before a wildcard or the end: 0 (`*`), 1, 2 or 3.
        let given: Int
    }

    /// Parses `text`; `source` names the file for errors.
    public init(parsing text: String, source: String = "constraint") throws(FerryInputsError) {
        self.text = text
        func fail(_ reason: String) -> FerryInputsError { .semverConstraint(source: source, constraint: text, reason: reason) }
        var alternatives: [[Comparison]] = []
        for group in text.components(separatedBy: "||") {
            var comparisons: [Comparison] = []
            var tokens = Self.tokens(group)
            guard !tokens.isEmpty else { throw fail("empty alternative") }
            while !tokens.isEmpty {
                let token = tokens.removeFirst()
                // Hyphen range: VERSION - VERSION
                if tokens.count >= 2 && tokens[0] == "-" && Self.operatorPrefix(token) == nil {
                    guard let low = Self.comparison(op: .greaterOrEqual, version: token),
                          let high = Self.comparison(op: .lessOrEqual, version: tokens[1]) else {
                        throw fail("bad hyphen range \(token) - \(tokens[1])")
                    }
                    comparisons += [low, high]
                    tokens.removeFirst(2)
                    continue
                }
                var op = Comparison.Operator.equal
                var versionText = token
                if let (parsedOp, length) = Self.operatorPrefix(token) {
                    op = parsedOp
                    versionText = String(token.dropFirst(length))
                    if versionText.isEmpty {
                        guard !tokens.isEmpty else { throw fail("\(token) without a version") }
                        versionText = tokens.removeFirst()
                    }
                }
                guard let comparison = Self.comparison(op: op, version: versionText) else {
                    throw fail("\"\(versionText)\" is not a version")
                }
                comparisons.append(comparison)
            }
            alternatives.append(comparisons)
        }
        self.alternatives = alternatives
    }

    public var description: String { text }

    /// True when `version` satisfies the constraint.
    public func matches(_ version: SemanticVersion) -> Bool {
        alternatives.contains { group in
            let prereleases = group.contains { $0.version.isPrerelease }
            return group.allSatisfy { $0.matches(version, prereleasesAllowed: prereleases) }
        }
    }

    /// The tags that parse as versions and satisfy the constraint, in the order given.
    public func select(from tags: [String]) -> [String] {
        tags.filter { tag in SemanticVersion(tag).map(matches) ?? false }
    }

    /// Splits on commas and whitespace; `>=1.2`, `>=`, `1.2` and `-` are separate tokens as written.
    static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    static func operatorPrefix(_ token: String) -> (Comparison.Operator, Int)? {
        let table: [(String, Comparison.Operator)] = [
            (">=", .greaterOrEqual), ("=>", .greaterOrEqual), ("<=", .lessOrEqual), ("=<", .lessOrEqual),
            ("!=", .notEqual), ("~>", .tilde), (">", .greater), ("<", .less), ("=", .equal), ("~", .tilde), ("^", .caret),
        ]
        for (prefix, op) in table where token.hasPrefix(prefix) { return (op, prefix.count) }
        return nil
    }

    static func comparison(op: Comparison.Operator, version text: String) -> Comparison? {
        guard let parts = SemanticVersion.parseParts(text, allowWildcards: true) else { return nil }
        let numbers = parts.numbers
        // A wildcard part or a short version leaves the rest unconstrained.
        let given = numbers.count
        let version = SemanticVersion(major: given > 0 ? numbers[0] : 0, minor: given > 1 ? numbers[1] : 0,
                                      patch: given > 2 ? numbers[2] : 0, prerelease: given == 3 ? parts.prerelease : [])
        return Comparison(op: op, version: version, given: given)
    }
}

extension SemverConstraint.Comparison {
    func matches(_ v: SemanticVersion, prereleasesAllowed: Bool) -> Bool {
        let c = version
        if v.isPrerelease && !prereleasesAllowed && op != .notEqual { return false }
        switch op {
        case .equal:
            return given == 3 ? v == c : inPrefix(v)
        case .notEqual:
            return given == 3 ? v != c : !inPrefix(v)
        case .greater:
            switch given {
            case 0: return false
            case 1: return v.major > c.major
            case 2: return v.major > c.major || (v.major == c.major && v.minor > c.minor)
            default: return v > c
            }
        case .greaterOrEqual:
            return v >= c
        case .less:
            return v < c
        case .lessOrEqual:
            switch given {
            case 0: return true
            case 1: return v.major <= c.major
            case 2: return v.major < c.major || (v.major == c.major && v.minor <= c.minor)
            default: return v <= c
            }
        case .tilde:
            guard v >= c else { return false }
            if given == 0 || (c.major == 0 && c.minor == 0 && c.patch == 0 && given == 3) { return true }
            guard v.major == c.major else { return false }
            return given == 1 || v.minor == c.minor
        case .caret:
            guard v >= c else { return false }
            if c.major > 0 || given == 1 { return v.major == c.major }
            guard v.major == 0 else { return false }
            if c.minor > 0 || given == 2 { return v.minor == c.minor }
            guard v.minor == 0 else { return false }
            return v.patch == c.patch
        }
    }

    /// `1.2` (given 2) holds 1.2.*; `1` holds 1.*.*; `*` holds everything.
    private func inPrefix(_ v: SemanticVersion) -> Bool {
        switch given {
        case 0: return true
        case 1: return v.major == version.major
        case 2: return v.major == version.major && v.minor == version.minor
        default: return v == version
        }
    }
}
