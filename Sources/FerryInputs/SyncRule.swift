public import FerryCore

/// One image rule: a source repository, which of its images, and where they go
/// (`formats/sync-files/SPEC.md`, "images.json"). image-syncer and skopeo-sync files both
/// become lists of these; `RuleResolver` turns them into concrete image pairs.
public struct SyncRule: Sendable, Equatable, CustomStringConvertible {
    /// The rule as written (the source key), for messages.
    public let text: String
    public let source: RepositoryName
    public let selection: TagSelection
    /// At least one.
    public let destinations: [RuleDestination]

    public init(text: String, source: RepositoryName, selection: TagSelection, destinations: [RuleDestination]) {
        self.text = text
        self.source = source
        self.selection = selection
        self.destinations = destinations
    }

    public var description: String { text }
}

/// Where a rule's images go.
public enum RuleDestination: Sendable, Equatable, CustomStringConvertible {
    /// `""`: the default registry and namespace given on the command line, same repository
    /// name (without its first path component) and tag.
    case defaultLocation
    /// This repository; `tags` empty keeps each source tag (or digest), otherwise they rename
    /// the source tags left to right.
    case repository(RepositoryName, tags: [String])
    /// This repository by digest (which must be the source's digest).
    case pinned(RepositoryName, Digest)

    public var description: String {
        switch self {
        case .defaultLocation: return "the default destination"
        case .repository(let name, let tags): return tags.isEmpty ? name.description : "\(name):\(tags.joined(separator: ","))"
        case .pinned(let name, let digest): return "\(name)@\(digest)"
        }
    }
}

/// image-syncer's URL grammar for rule sources and destinations: `repo`, `repo:t1,t2`,
/// `repo:/regex/`, `repo@sha256:…` (see image-syncer's README, "Image sync configuration file").
enum SyncerURL {
    /// A source: a repository and which of its images.
    static func source(_ raw: String, file: String) throws(FerryInputsError) -> (RepositoryName, TagSelection) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        func fail(_ reason: String) -> FerryInputsError { .rule(source: file, rule: raw, reason: reason) }
        guard !text.isEmpty else { throw fail("the source is empty") }
        if text.contains("@") {
            let reference = try parse(text, rule: raw, file: file)
            guard let digest = reference.digest else { throw fail("no digest after @") }
            return (reference.repositoryName, .digest(digest))
        }
        if let marker = text.range(of: ":/") {
            let name = String(text[..<marker.lowerBound])
            let body = text[marker.upperBound...]
            guard body.count >= 2, body.hasSuffix("/") else { throw fail("a tag regex is written :/regex/ and must end with /") }
            let pattern = try TagPattern(String(body.dropLast()), source: file)
            return (try repository(name, rule: raw, file: file), .pattern(pattern))
        }
        let (name, tags) = try splitTags(text, rule: raw, file: file)
        return (name, tags.isEmpty ? .allTags : .tags(tags))
    }

    /// A destination string; `""` is the default location.
    static func destination(_ raw: String, file: String, rule: String) throws(FerryInputsError) -> RuleDestination {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return .defaultLocation }
        if text.contains("@") {
            let reference = try parse(text, rule: rule, file: file)
            guard let digest = reference.digest else {
                throw .rule(source: file, rule: rule, reason: "destination \"\(raw)\": no digest after @")
            }
            return .pinned(reference.repositoryName, digest)
        }
        if text.contains(":/") {
            throw .rule(source: file, rule: rule, reason: "destination \"\(raw)\": a regex only selects source tags")
        }
        let (name, tags) = try splitTags(text, rule: rule, file: file)
        return .repository(name, tags: tags)
    }

    /// `a/b/c:1,2,3` → (`a/b/c`, [1, 2, 3]); `a/b/c` → (`a/b/c`, []). A colon before the last
    /// slash is a registry port.
    private static func splitTags(_ text: String, rule: String, file: String) throws(FerryInputsError) -> (RepositoryName, [String]) {
        let lastSlash = text.lastIndex(of: "/")
        let tail = lastSlash.map { text[text.index(after: $0)...] } ?? Substring(text)
        guard let colon = tail.firstIndex(of: ":") else {
            return (try repository(text, rule: rule, file: file), [])
        }
        let name = String(text[..<colon])
        let repository = try repository(name, rule: rule, file: file)
        var tags: [String] = []
        for tag in text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            // The tag grammar is ImageReference's; parse a full reference to apply it.
            let reference = try parse("\(name):\(trimmed)", rule: rule, file: file)
            guard let parsed = reference.tag, !trimmed.isEmpty else {
                throw .rule(source: file, rule: rule, reason: "empty tag in a tag list")
            }
            if !tags.contains(parsed) { tags.append(parsed) }
        }
        return (repository, tags)
    }

    private static func repository(_ text: String, rule: String, file: String) throws(FerryInputsError) -> RepositoryName {
        do {
            return try RepositoryName(parsing: text)
        } catch {
            throw .rule(source: file, rule: rule, reason: error.description)
        }
    }

    private static func parse(_ text: String, rule: String, file: String) throws(FerryInputsError) -> ImageReference {
        do {
            return try ImageReference(parsing: text)
        } catch {
            throw .rule(source: file, rule: rule, reason: error.description)
        }
    }
}

extension SyncRule {
    /// Checks that the destinations fit the source, as image-syncer's rules 4, 6 and 7 say:
    /// renamed tags need a tag list of the same length, "all tags" and regex sources keep
    /// their tags, a digest destination repeats the source digest.
    static func validated(text: String, source: RepositoryName, selection: TagSelection,
                          destinations: [RuleDestination], file: String) throws(FerryInputsError) -> SyncRule {
        func fail(_ reason: String) -> FerryInputsError { .rule(source: file, rule: text, reason: reason) }
        guard !destinations.isEmpty else { throw fail("no destination") }
        for destination in destinations {
            switch (selection, destination) {
            case (_, .defaultLocation):
                break
            case (.tags(let sourceTags), .repository(_, let tags)):
                guard tags.isEmpty || tags.count == sourceTags.count else {
                    throw fail("destination \(destination) has \(tags.count) tags for \(sourceTags.count) source tags")
                }
            case (.digest, .repository(_, let tags)):
                guard tags.count <= 1 else { throw fail("one image (a digest) cannot get \(tags.count) tags") }
            case (.digest(let digest), .pinned(_, let other)):
                guard digest == other else { throw fail("the destination digest differs from the source digest") }
            case (_, .pinned):
                throw fail("a digest destination needs a digest source")
            case (_, .repository(_, let tags)):
                guard tags.isEmpty else { throw fail("\(selection) keep their own tags; the destination must not name tags") }
            }
        }
        return SyncRule(text: text, source: source, selection: selection, destinations: destinations)
    }
}
