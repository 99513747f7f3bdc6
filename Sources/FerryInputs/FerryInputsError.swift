/// Failures reading the input files users bring (`formats/sync-files/SPEC.md`). Every case
/// names the file (or `stdin`) and what in it was wrong; none carries a password: values from
/// auth files are never echoed, only their keys and field names.
public enum FerryInputsError: Error, Sendable, CustomStringConvertible {
    /// The file is not YAML/JSON at all; `reason` is the parser's message (position included).
    case syntax(source: String, reason: String)
    /// The document parsed but has the wrong shape at `path` (`quay.io.username`, `[3]`).
    case shape(source: String, path: String, reason: String)
    /// `${NAME}` / `$NAME` in an auth file names a variable that is not set.
    /// The variable is not named: `$Summer2024x` may be a literal password that image-syncer's
    /// syntax reads as a variable, and an error must never echo a secret (issue 15, item 18).
    case missingVariable(source: String, key: String, field: String)
    /// An image rule (`source: destination`) that cannot be understood.
    case rule(source: String, rule: String, reason: String)
    /// A `/regex/` tag filter or `images-by-tag-regex` pattern that does not compile.
    case tagPattern(source: String, pattern: String, reason: String)
    /// An `images-by-semver` constraint that does not parse.
    case semverConstraint(source: String, constraint: String, reason: String)
    /// Listing the tags of a repository to expand "all tags", a regex or a semver rule failed.
    case tagListing(repository: String, underlying: any Error)
    /// A rule's destination is `""` (the default registry/namespace) and none was given.
    case noDefaultDestination(source: String, rule: String)
    /// Reading the file failed.
    case unreadable(source: String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let source, let reason):
            return "\(source): not valid YAML or JSON: \(reason)"
        case .shape(let source, let path, let reason):
            return "\(source): \(path.isEmpty ? "top level" : path): \(reason)"
        case .missingVariable(let source, let key, let field):
            return "\(source): \(key).\(field) is a $VARIABLE or ${VARIABLE} reference to an environment variable that is not set (its name is not shown: it may be a password)"
        case .rule(let source, let rule, let reason):
            return "\(source): rule \"\(rule)\": \(reason)"
        case .tagPattern(let source, let pattern, let reason):
            return "\(source): tag pattern /\(pattern)/ does not compile: \(reason)"
        case .semverConstraint(let source, let constraint, let reason):
            return "\(source): semver constraint \"\(constraint)\": \(reason)"
        case .tagListing(let repository, let underlying):
            return "listing the tags of \(repository): \(underlying)"
        case .noDefaultDestination(let source, let rule):
            return "\(source): rule \"\(rule)\" sends images to the default destination (\"\"), but no default registry was given (--registry)"
        case .unreadable(let source, let reason):
            return "\(source): \(reason)"
        }
    }
}
