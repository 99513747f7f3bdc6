public import FerryCore
import Foundation
public import FerryRegistry

/// Lists the tags of a repository. `RegistryClient` is one; tests can use a table.
public protocol TagLister: Sendable {
    func tags(of repository: RepositoryName) async throws -> [String]
}

extension RegistryClient: TagLister {
    public func tags(of repository: RepositoryName) async throws -> [String] {
        try await listTags(registry: repository.registry, repository: repository.repository)
    }
}

/// image-syncer's `--registry` / `--namespace`: where `""` destinations go.
public struct DestinationDefaults: Sendable, Equatable {
    /// Registry host, with port when given.
    public let registry: String
    /// Path prefix inside the registry (`mirror`, `team/mirror`), or empty.
    public let namespace: String

    /// `namespace` may have surrounding slashes; they are dropped.
    public init(registry: String, namespace: String = "") {
        self.registry = registry
        self.namespace = namespace.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }
}

/// One source image and where a rule sends it.
public struct ImageMapping: Sendable, Equatable, CustomStringConvertible {
    /// The image to read.
    public let source: ImageReference
    /// Empty when the rule's destination is the default one and no defaults were given.
    public let destinations: [ImageReference]
    /// The rule it came from.
    public let rule: String

    public var description: String {
        destinations.isEmpty ? source.description
            : "\(source) → \(destinations.map(\.description).joined(separator: ", "))"
    }
}

/// What one rule selected, for logging before the work starts.
public struct RuleSelection: Sendable, Equatable {
    /// The rule as parsed.
    public let rule: SyncRule
    /// Tags the registry listed (nil when the rule needed no listing).
    public let listedTags: [String]?
    /// The selected images, in tag-name order (a digest rule: its one image).
    public let mappings: [ImageMapping]
}

/// Expands rules into concrete images: lists tags where the rule needs them (all tags, regex,
/// semver) and computes each destination. Rules are resolved in order; a repository's tag list
/// is fetched once even when several rules name it, and its tags are taken in name order.
public struct RuleResolver: Sendable {
    /// Where tag lists come from (a `RegistryClient`).
    public let lister: any TagLister
    /// Where `""` destinations go; nil when the command line gave none.
    public let defaults: DestinationDefaults?

    /// A resolver reading tags through `lister`.
    public init(lister: any TagLister, defaults: DestinationDefaults? = nil) {
        self.lister = lister
        self.defaults = defaults
    }

    /// Every rule's selection. With `requireDestinations`, a `""` destination without
    /// `defaults` is an error (import and sync need it; export records only sources).
    public func resolve(_ rules: [SyncRule], source: String, requireDestinations: Bool = false) async throws -> [RuleSelection] {
        var cache: [RepositoryName: [String]] = [:]
        var selections: [RuleSelection] = []
        for rule in rules {
            var listed: [String]?
            if rule.selection.needsTagList {
                if let known = cache[rule.source] {
                    listed = known
                } else {
                    do {
                        // Name order: registries list tags in no promised order, and a run
                        // should select, log and export the same way every time.
                        let tags = try await lister.tags(of: rule.source).sorted()
                        cache[rule.source] = tags
                        listed = tags
                    } catch {
                        throw FerryInputsError.tagListing(repository: rule.source.description, underlying: error)
                    }
                }
            }
            let sources: [ImageReference]
            switch rule.selection {
            case .digest(let digest):
                sources = [rule.source.pinned(digest)]
            default:
                sources = try rule.selection.select(from: listed ?? []).map(rule.source.tagged)
            }
            var mappings: [ImageMapping] = []
            for (index, image) in sources.enumerated() {
                var destinations: [ImageReference] = []
                for destination in rule.destinations {
                    if let target = try self.destination(destination, for: image, index: index, rule: rule, file: source,
                                                         require: requireDestinations) {
                        destinations.append(target)
                    }
                }
                mappings.append(ImageMapping(source: image, destinations: destinations, rule: rule.text))
            }
            selections.append(RuleSelection(rule: rule, listedTags: listed, mappings: mappings))
        }
        return selections
    }

    /// The destination of the `index`-th image of a rule.
    func destination(_ destination: RuleDestination, for image: ImageReference, index: Int, rule: SyncRule,
                     file: String, require: Bool) throws(FerryInputsError) -> ImageReference? {
        switch destination {
        case .defaultLocation:
            guard let defaults else {
                if require { throw .noDefaultDestination(source: file, rule: rule.text) }
                return nil
            }
            // image-syncer keeps the repository name without its first component (the source
            // namespace): quay.io/coreos/etcd → REGISTRY/NAMESPACE/etcd.
            let components = image.repository.split(separator: "/")
            let tail = components.count > 1 ? components.dropFirst().joined(separator: "/") : image.repository
            let path = defaults.namespace.isEmpty ? tail : "\(defaults.namespace)/\(tail)"
            return ImageReference(registry: defaults.registry, repository: path, tag: image.tag, digest: image.digest)
        case .repository(let name, let tags):
            if tags.isEmpty {
                return ImageReference(registry: name.registry, repository: name.repository, tag: image.tag, digest: image.digest)
            }
            guard index < tags.count else {
                throw .rule(source: file, rule: rule.text, reason: "more source images than destination tags")
            }
            return name.tagged(tags[index])
        case .pinned(let name, let digest):
            return name.pinned(digest)
        }
    }
}
