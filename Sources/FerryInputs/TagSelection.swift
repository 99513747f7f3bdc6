public import FerryCore
import Foundation

/// A regular expression over tag names: image-syncer's `repo:/regex/` and skopeo's
/// `images-by-tag-regex`. Both tools use Go's `regexp.MatchString`, which finds the pattern
/// anywhere in the tag; so does ferry (anchor with `^…$` to match whole tags). The pattern is
/// compiled once here to reject bad ones before any network traffic, and again per use
/// because `NSRegularExpression` is not `Sendable`.
public struct TagPattern: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String

    public init(_ pattern: String, source: String) throws(FerryInputsError) {
        self.pattern = pattern
        _ = try compile(source: source)
    }

    private func compile(source: String) throws(FerryInputsError) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            throw .tagPattern(source: source, pattern: pattern, reason: "\((error as NSError).localizedDescription)")
        }
    }

    public var description: String { "/\(pattern)/" }

    /// The tags the pattern finds a match in, in the order given.
    public func select(from tags: [String]) throws(FerryInputsError) -> [String] {
        let expression = try compile(source: "tag pattern")
        return tags.filter { tag in
            expression.firstMatch(in: tag, range: NSRange(tag.startIndex..., in: tag)) != nil
        }
    }
}

/// Which images of a repository a rule takes.
public enum TagSelection: Sendable, Equatable, CustomStringConvertible {
    /// Every tag the registry lists (image-syncer: no tag; skopeo: `[]`).
    case allTags
    /// These tags, in this order.
    case tags([String])
    /// Tags matching a regular expression.
    case pattern(TagPattern)
    /// Tags that are versions satisfying a constraint (skopeo `images-by-semver`).
    case semver(SemverConstraint)
    /// One image by digest.
    case digest(Digest)

    /// True when the registry's tag list is needed to know the images.
    public var needsTagList: Bool {
        switch self {
        case .allTags, .pattern, .semver: return true
        case .tags, .digest: return false
        }
    }

    public var description: String {
        switch self {
        case .allTags: return "all tags"
        case .tags(let tags): return "tags \(tags.joined(separator: ", "))"
        case .pattern(let pattern): return "tags matching \(pattern)"
        case .semver(let constraint): return "tags satisfying \"\(constraint)\""
        case .digest(let digest): return "digest \(digest)"
        }
    }

    /// The chosen tags among `tags` (for the selections that need a tag list).
    public func select(from tags: [String]) throws(FerryInputsError) -> [String] {
        switch self {
        case .allTags: return tags
        case .tags(let wanted): return wanted
        case .pattern(let pattern): return try pattern.select(from: tags)
        case .semver(let constraint): return constraint.select(from: tags)
        case .digest: return []
        }
    }
}
