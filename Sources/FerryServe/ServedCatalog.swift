public import FerryCore
public import FerryFormat

/// What a set of served bundles holds, by the names a client asks for: repositories (under
/// each image's original registry and path) with their tags, and where every blob lies. Built
/// from the bundles' content indexes alone, so it costs a few hundred bytes an image and no
/// read of the blobs.
///
/// A request names a repository by its path (`library/nginx`). `?ns=` (what containerd sends
/// through a `hosts.toml` mirror) says which registry's; without it a path held by one
/// registry only is found, a path held by several is ambiguous, and a path whose first
/// component is a registry (`docker.io/library/nginx`) names that registry's repository.
public struct ServedCatalog: Sendable {
    /// Where a blob's bytes lie: which bundle, from which offset, how many.
    public struct Place: Sendable, Equatable {
        public let bundle: Int
        public let offset: Int64
        public let size: Int64
        public let mediaType: MediaType
    }

    /// A repository found for a request: its registry and path.
    public struct RepositoryKey: Sendable, Hashable, CustomStringConvertible {
        public let registry: String
        public let path: String
        public var description: String { "\(registry)/\(path)" }

        public init(registry: String, path: String) {
            self.registry = registry
            self.path = path
        }
    }

    /// What looking a repository up gave.
    public enum Lookup: Sendable, Equatable {
        case found(RepositoryKey)
        case unknown
        /// The path is held by several registries and the request did not say which.
        case ambiguous(registries: [String])
    }

    /// Repository path → registry → tag → manifest digest.
    private var tags: [String: [String: [String: Digest]]] = [:]
    /// Repository → subject → the descriptors of the manifests naming it as their `subject`, in
    /// the order added (the order import pushes them and lists them in the fallback tag).
    private var referrers: [RepositoryKey: [Digest: [Descriptor]]] = [:]
    private var blobs: [Digest: Place] = [:]
    /// Tags two bundles give different digests (the first bundle given wins), as
    /// `registry/path:tag`.
    public private(set) var conflicts: [String] = []

    /// How the served names are made from the bundles' names: as `ferry import` would name
    /// them (a prefix, `--flatten`, `--map`), with the registry part left for the server.
    public typealias Renaming = @Sendable (ImageReference) throws -> ImageReference

    private let renaming: Renaming?

    /// `bundles` in the order given: an earlier bundle's tag wins over a later one's. With
    /// `renaming`, repositories are served under the names it gives, all on this server, and a
    /// request's `?ns=` no longer picks a registry.
    public init(bundles: [ContentIndex], renaming: Renaming? = nil) throws(FerryServeError) {
        self.renaming = renaming
        for (number, index) in bundles.enumerated() {
            for blob in index.blobs where blobs[blob.digest] == nil {
                blobs[blob.digest] = Place(bundle: number, offset: blob.offset, size: blob.size, mediaType: blob.mediaType)
            }
            for (name, digest) in index.servedNames {
                let reference = try servedName(name, bundle: number)
                guard blobs[digest]?.mediaType.isManifest == true else {
                    throw .bundle(number: number, reason: "\(name) pins \(digest), which the bundle does not hold as a manifest")
                }
                let registry = ImageReference.canonicalRegistry(reference.registry)
                var repository = tags[reference.repository, default: [:]][registry, default: [:]]
                if let tag = reference.tag {
                    if let earlier = repository[tag], earlier != digest {
                        conflicts.append("\(registry)/\(reference.repository):\(tag)")
                    } else {
                        repository[tag] = digest
                    }
                }
                tags[reference.repository, default: [:]][registry] = repository
            }
        }
    }

    /// The name `name` (as a bundle of number `bundle` holds it) is served under.
    public func servedName(_ name: String, bundle: Int) throws(FerryServeError) -> ImageReference {
        do {
            let reference = try ImageReference(parsing: name)
            return try renaming.map { try $0(reference) } ?? reference
        } catch {
            throw .bundle(number: bundle, reason: "image name \(name): \(error)")
        }
    }

    /// The repository key of a served name.
    public func key(of reference: ImageReference) -> RepositoryKey {
        RepositoryKey(registry: ImageReference.canonicalRegistry(reference.registry), path: reference.repository)
    }

    /// The repository a request for `name` (with `?ns=namespace`, if given) means.
    public func repository(_ name: String, namespace: String?) -> Lookup {
        // Renamed repositories all live on this server: there is no registry to pick.
        let namespace = renaming == nil ? namespace : nil
        if let registries = tags[name] {
            if let namespace {
                let registry = ImageReference.canonicalRegistry(namespace)
                return registries[registry] != nil ? .found(RepositoryKey(registry: registry, path: name)) : .unknown
            }
            if registries.count == 1, let registry = registries.keys.first { return .found(RepositoryKey(registry: registry, path: name)) }
            return .ambiguous(registries: registries.keys.sorted())
        }
        // `docker.io/library/nginx`: a registry as the first component.
        guard namespace == nil, renaming == nil, let slash = name.firstIndex(of: "/") else { return .unknown }
        let registry = ImageReference.canonicalRegistry(String(name[..<slash])), path = String(name[name.index(after: slash)...])
        return tags[path]?[registry] != nil ? .found(RepositoryKey(registry: registry, path: path)) : .unknown
    }

    /// The manifest `reference` names in `repository`: by tag, that tag's; by digest, any
    /// manifest the bundles hold (an index's platform manifests are asked for by digest under
    /// the index's repository, and the content index does not list them by repository).
    public func manifest(_ reference: DistributionRoute.ManifestReference, in repository: RepositoryKey) -> (Digest, Place)? {
        let digest: Digest
        switch reference {
        case .tag(let tag):
            guard let tagged = tags[repository.path]?[repository.registry]?[tag] else { return nil }
            digest = tagged
        case .digest(let asked):
            digest = asked
        }
        guard let place = blobs[digest], place.mediaType.isManifest else { return nil }
        return (digest, place)
    }

    /// Where `digest` lies (any blob of the pool: the bundles hold one pool for all images).
    public func blob(_ digest: Digest) -> Place? { blobs[digest] }

    /// Records that `descriptor` (a manifest of the bundles, with its `artifactType` and
    /// `annotations` as the referrers API lists them) names `subject` in `repository`. Added
    /// once per repository and manifest.
    public mutating func addReferrer(_ descriptor: Descriptor, subject: Digest, in repository: RepositoryKey) {
        var list = referrers[repository, default: [:]][subject, default: []]
        guard !list.contains(where: { $0.digest == descriptor.digest }) else { return }
        list.append(descriptor)
        referrers[repository, default: [:]][subject] = list
    }

    /// The referrers of `subject` in `repository`, only those of `artifactType` when given.
    public func referrers(of subject: Digest, in repository: RepositoryKey, artifactType: String?) -> [Descriptor] {
        let all = referrers[repository]?[subject] ?? []
        guard let artifactType else { return all }
        return all.filter { $0.artifactType == artifactType }
    }

    /// Every blob of the pool, manifests included, in digest order.
    public var digests: [Digest] { blobs.keys.sorted { $0.description < $1.description } }

    /// The tags of `repository`, sorted, after `last`, at most `count` of them; and whether
    /// more follow (for the `Link` header of the next page).
    public func tags(of repository: RepositoryKey, count: Int?, after last: String?) -> (tags: [String], more: Bool) {
        Self.page((tags[repository.path]?[repository.registry] ?? [:]).keys.sorted(), count: count, after: last)
    }

    /// Every repository path, sorted, paged as `tags(of:)` is.
    public func catalog(count: Int?, after last: String?) -> (repositories: [String], more: Bool) {
        Self.page(tags.keys.sorted(), count: count, after: last)
    }

    /// distribution's paging: the sorted names after `last`, at most `count` (none when 0).
    static func page(_ sorted: [String], count: Int?, after last: String?) -> ([String], Bool) {
        let start = last.map { last in sorted.firstIndex { $0 > last } ?? sorted.endIndex } ?? sorted.startIndex
        let rest = sorted[start...]
        guard let count else { return (Array(rest), false) }
        let page = rest.prefix(max(count, 0))
        return (Array(page), page.count < rest.count)
    }
}
