public import FerryCore
import Foundation

/// Walks an image's graph from a source: root manifest or index, child manifests, configs.
///
/// Platform selection follows `formats/ferry-bundle/SPEC.md`: no selection keeps everything
/// (the registry's index, digest unchanged); one platform makes the entry that platform's own
/// manifest; several make a new index of just those children (its digest differs, which is
/// reported, and the original is recorded in an annotation). An index whose children are
/// missing is never produced.
public struct ImageResolver: Sendable {
    public let source: any ImageSource
    public let platforms: [Platform]
    public let progress: ProgressHandler
    /// How many config bytes the images of the run may keep in memory, together: one budget
    /// for every resolver of the run (an export's images and their attachments).
    let configs: ConfigBudget

    public init(source: any ImageSource, platforms: [Platform], progress: @escaping ProgressHandler,
                configs: ConfigBudget = ConfigBudget(bytes: ConfigBudget.defaultBytes)) {
        self.source = source
        self.platforms = platforms
        self.progress = progress
        self.configs = configs
    }

    /// Resolves images in parallel (at most `jobs` at a time), keeping the order they were given in.
    public func resolveAll(_ references: [ImageReference], jobs: Int) async throws -> [ResolvedImage] {
        try await BoundedMap.run(references, width: jobs) { try await resolve($0) }
    }

    /// Resolves `reference`; with `pinned`, fetches that manifest digest instead of what the
    /// reference's tag names today (a plan's shard), while the image keeps its name.
    public func resolve(_ reference: ImageReference, pinned: Digest? = nil) async throws -> ResolvedImage {
        let name = reference.description
        progress(.resolving(image: name))
        let root: FetchedManifest
        do {
            root = try await source.manifest(pinned.map { reference.with(tag: nil, digest: $0) } ?? reference)
        } catch {
            throw FerryTransferError.image(name, doing: pinned.map { "fetching pinned manifest \($0)" } ?? "fetching manifest", underlying: error)
        }
        if let pinned, root.digest != pinned {
            throw FerryTransferError.descriptorMismatch(image: name, digest: pinned, reason: "the source answered with \(root.digest)")
        }
        let parsed: ParsedManifest
        do {
            parsed = try root.parse()
        } catch {
            throw FerryTransferError.image(name, doing: "reading manifest", underlying: error)
        }
        let rootStored = StoredManifest(descriptor: root.descriptor, bytes: root.bytes)
        switch parsed {
        case .image(let manifest):
            let node = try await imageNode(reference, descriptor: root.descriptor, manifest: manifest)
            if !platforms.isEmpty, let platform = node.platform, !platforms.contains(where: { $0.matches(platform) }) {
                throw FerryTransferError.platformNotFound(image: name, requested: platforms, available: [platform])
            }
            var entry = root.descriptor
            entry.platform = node.platform
            let resolved = ResolvedImage(source: reference, entry: entry, manifests: [rootStored], images: [node],
                                         platforms: node.platform.map { [$0] } ?? [], sourceIndexDigest: nil,
                                         omitted: manifest.nonDistributableLayers)
            progress(.resolved(image: name, digest: root.digest, platforms: resolved.platforms))
            return resolved
        case .index(let index):
            return try await resolveIndex(reference, root: rootStored, index: index)
        }
    }

    private func resolveIndex(_ reference: ImageReference, root: StoredManifest, index: ImageIndex) async throws -> ResolvedImage {
        let name = reference.description
        let children: [Descriptor]
        if platforms.isEmpty {
            children = index.manifests
        } else {
            children = index.manifests.filter { child in
                guard let platform = child.platform else { return false }
                return platforms.contains { $0.matches(platform) }
            }
            let missing = platforms.filter { wanted in !children.contains { $0.platform.map(wanted.matches) ?? false } }
            if children.isEmpty {
                throw FerryTransferError.platformNotFound(image: name, requested: platforms,
                                                        available: index.manifests.compactMap(\.platform))
            }
            if !missing.isEmpty {
                progress(.warning("\(name): has no \(missing.map(\.description).joined(separator: ", ")); keeping \(children.compactMap(\.platform).map(\.description).joined(separator: ", "))"))
            }
        }
        var manifests: [StoredManifest] = []
        var nodes: [ImageNode] = []
        var omitted: [Descriptor] = []
        for child in children {
            let fetched = try await childManifest(reference, child)
            manifests.append(StoredManifest(descriptor: child, bytes: fetched.bytes))
            switch try parse(fetched, image: name) {
            case .image(let manifest):
                var node = try await imageNode(reference, descriptor: child, manifest: manifest)
                if node.platform == nil, let platform = child.platform {
                    node = ImageNode(descriptor: child, manifest: manifest, config: node.config, platform: platform)
                }
                nodes.append(node)
                omitted += manifest.nonDistributableLayers
            case .index(let nested):
                // An index inside an index (rare): carry it whole; platform selection applies
                // to the top level only.
                let inner = try await resolveIndex(reference.with(tag: nil, digest: child.digest),
                                                   root: StoredManifest(descriptor: child, bytes: fetched.bytes), index: nested)
                manifests += inner.manifests.dropFirst()
                nodes += inner.images
                omitted += inner.omitted
            }
        }
        let available = children.compactMap(\.platform)
        let entry: Descriptor
        var stored = manifests
        var sourceIndexDigest: Digest?
        if platforms.isEmpty || children.count == index.manifests.count {
            entry = root.descriptor
            stored.insert(root, at: 0)
        } else if platforms.count == 1 || children.count == 1 {
            // One platform asked for: the entry is that platform's own manifest, digest unchanged.
            if children.count > 1 {
                progress(.warning("\(name): \(children.count) manifests match \(platforms[0]); taking the first, \(children[0].digest.short)"))
            }
            let chosen = children[0]
            stored = [manifests[0]]
            nodes = nodes.filter { $0.descriptor.digest == chosen.digest }
            entry = chosen
        } else {
            let built = try index.subset(children, of: root.descriptor)
            entry = built.descriptor
            stored.insert(built, at: 0)
            sourceIndexDigest = root.descriptor.digest
            progress(.warning("\(name): wrote a new index of \(children.count) of \(index.manifests.count) platforms; its digest is \(entry.digest.short), not the registry's \(root.descriptor.digest.short)"))
        }
        progress(.resolved(image: name, digest: entry.digest, platforms: available))
        return ResolvedImage(source: reference, entry: entry, manifests: stored, images: nodes,
                             platforms: entry.mediaType.isIndex ? available : Array(available.prefix(1)),
                             sourceIndexDigest: sourceIndexDigest, omitted: omitted)
    }

    private func childManifest(_ reference: ImageReference, _ child: Descriptor) async throws -> FetchedManifest {
        let name = reference.description
        guard child.mediaType.isManifest else {
            throw FerryTransferError.unsupportedMediaType(image: name, mediaType: child.mediaType)
        }
        let fetched: FetchedManifest
        do {
            fetched = try await source.manifest(reference.with(tag: nil, digest: child.digest))
        } catch {
            throw FerryTransferError.image(name, doing: "fetching child manifest \(child.digest)", underlying: error)
        }
        guard Int64(fetched.bytes.count) == child.size else {
            throw FerryTransferError.descriptorMismatch(image: name, digest: child.digest,
                                                      reason: "index says \(child.size) bytes, manifest has \(fetched.bytes.count)")
        }
        return FetchedManifest(bytes: fetched.bytes, mediaType: child.mediaType, digest: fetched.digest)
    }

    private func parse(_ fetched: FetchedManifest, image: String) throws -> ParsedManifest {
        do {
            return try fetched.parse()
        } catch {
            throw FerryTransferError.image(image, doing: "reading manifest \(fetched.digest)", underlying: error)
        }
    }

    private func imageNode(_ reference: ImageReference, descriptor: Descriptor, manifest: ImageManifest) async throws -> ImageNode {
        let name = reference.description
        let config = manifest.config
        guard config.size <= ImageManifest.maximumConfigSize else {
            throw FerryTransferError.descriptorMismatch(image: name, digest: config.digest,
                                                      reason: "config of \(config.size) bytes is over the \(ImageManifest.maximumConfigSize)-byte limit")
        }
        let target = MemoryBlobTarget(config)
        let bytes: [UInt8]
        do {
            try await source.blob(reference, descriptor: config, into: target)
            bytes = try target.finish()
        } catch {
            throw FerryTransferError.blob(config.digest, images: [name], doing: "fetching config", underlying: error)
        }
        return ImageNode(descriptor: descriptor, manifest: manifest, config: configs.keep(bytes), platform: Self.platform(ofConfig: bytes))
    }

    /// The platform an image config declares (`os`, `architecture`, `variant`), if any.
    static func platform(ofConfig bytes: [UInt8]) -> Platform? {
        struct Config: Decodable { var os: String?; var architecture: String?; var variant: String? }
        // Artifacts have configs that are not image configs (or not JSON): they have no platform.
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)),
              let os = config.os, let architecture = config.architecture, !os.isEmpty, !architecture.isEmpty else { return nil }
        return Platform(os: os, architecture: architecture, variant: config.variant)
    }
}
