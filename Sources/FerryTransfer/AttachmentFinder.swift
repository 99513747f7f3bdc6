public import FerryCore

/// Finds what is attached to images in a source: signatures, attestations, SBOMs and other
/// referrers, so they travel with their image (export, copy and sync).
public struct AttachmentFinder: Sendable {
    public let source: any ImageSource
    public let progress: ProgressHandler
    /// The run's config budget, shared with the resolver of the images themselves.
    let configs: ConfigBudget

    public init(source: any ImageSource, progress: @escaping ProgressHandler,
                configs: ConfigBudget = ConfigBudget(bytes: ConfigBudget.defaultBytes)) {
        self.source = source
        self.progress = progress
        self.configs = configs
    }

    /// The cosign-style tag suffixes of signatures, attestations and SBOMs.
    static let attachmentTagSuffixes = [".sig", ".att", ".sbom"]

    /// What is attached to `images` in the source (SPEC.md rule 3.6): for every manifest of every
    /// image, the OCI 1.1 referrers (from the referrers API, or else the `sha256-<hex>` fallback
    /// tag) and the cosign-style tags `sha256-<hex>.sig`, `.att` and `.sbom`. Each is resolved
    /// whole (all platforms: an artifact index has none to choose from) and comes back as an
    /// image whose `subject` names the manifest it is attached to. References already requested
    /// are not repeated. A source that cannot list tags or answer the referrers API is reported
    /// with a warning and skipped for that part: attachments are extras, never a reason to fail.
    public func attachments(of images: [ResolvedImage], requested: Set<String>, jobs: Int) async throws -> [ResolvedImage] {
        struct Lookup: Sendable {
            let base: ImageReference
            let subject: Digest
            let tags: Set<String>
        }
        var lookups: [Lookup] = []
        var tagsByRepository: [String: Set<String>] = [:]
        for image in images {
            let key = image.source.name
            if tagsByRepository[key] == nil {
                do {
                    tagsByRepository[key] = Set(try await source.tags(of: image.source))
                } catch {
                    progress(.warning("\(key): cannot list tags to look for signatures and SBOMs (\(error)); attachments found by tag are skipped"))
                    tagsByRepository[key] = []
                }
            }
            var seen = Set<Digest>()
            for manifest in image.manifests where seen.insert(manifest.descriptor.digest).inserted {
                lookups.append(Lookup(base: image.source, subject: manifest.descriptor.digest, tags: tagsByRepository[key] ?? []))
            }
        }
        let source = self.source
        let progress = self.progress
        let found = try await BoundedMap.run(lookups, width: jobs) { lookup -> [(ImageReference, Digest)] in
            let tagBase = "\(lookup.subject.algorithm.rawValue)-\(lookup.subject.hex)"
            var references: [(ImageReference, Digest)] = []
            var viaAPI: [Descriptor]?
            do {
                viaAPI = try await source.referrers(of: lookup.base, subject: lookup.subject)
            } catch {
                progress(.warning("\(lookup.base.name): referrers of \(lookup.subject.short) unavailable (\(error)); trying the \(tagBase) tag"))
            }
            if let viaAPI {
                references += viaAPI.map { (lookup.base.with(tag: nil, digest: $0.digest), lookup.subject) }
            } else if lookup.tags.contains(tagBase) {
                references.append((lookup.base.with(tag: tagBase, digest: nil), lookup.subject))
            }
            for suffix in Self.attachmentTagSuffixes where lookup.tags.contains(tagBase + suffix) {
                references.append((lookup.base.with(tag: tagBase + suffix, digest: nil), lookup.subject))
            }
            return references
        }
        var unique: [(ImageReference, Digest)] = []
        var names = requested
        for (reference, subject) in found.flatMap({ $0 }) where names.insert(reference.description).inserted {
            unique.append((reference, subject))
        }
        guard !unique.isEmpty else { return [] }
        let resolver = ImageResolver(source: source, platforms: [], progress: progress, configs: configs)
        return try await BoundedMap.run(unique, width: jobs) { reference, subject in
            var image = try await resolver.resolve(reference)
            image.subject = subject
            return image
        }
    }
}
