import FerryCore
import Foundation

/// Walks an image's graph from a source: root manifest or index, child manifests, configs.
///
/// Platform selection follows `formats/ferry-bundle/SPEC.md`: no selection keeps everything
/// (the registry's index, digest unchanged); one platform makes the entry that platform's own
/// manifest; several make a new index of just those children (its digest differs, which is
/// reported, and the original is recorded in an annotation). An index whose children are
/// missing is never produced.
struct ImageResolver: Sendable {
    let source: any ImageSource
    let platforms: [Platform]
    let progress: ProgressHandler
    /// Configs larger than this are refused (they are JSON documents of a few KiB normally).
    static let maximumConfigSize: Int64 = 16 << 20

    func resolve(_ reference: ImageReference) async throws -> ResolvedImage {
        let name = reference.description
        progress(.resolving(image: name))
        let root: FetchedManifest
        do {
            root = try await source.manifest(reference)
        } catch {
            throw FerryBundleError.image(name, doing: "fetching manifest", underlying: error)
        }
        let parsed: ParsedManifest
        do {
            parsed = try root.parse()
        } catch {
            throw FerryBundleError.image(name, doing: "reading manifest", underlying: error)
        }
        let rootStored = StoredManifest(descriptor: root.descriptor, bytes: root.bytes)
        switch parsed {
        case .image(let manifest):
            let node = try await imageNode(reference, descriptor: root.descriptor, manifest: manifest)
            if !platforms.isEmpty, let platform = node.platform, !platforms.contains(where: { $0.matches(platform) }) {
                throw FerryBundleError.platformNotFound(image: name, requested: platforms, available: [platform])
            }
            var entry = root.descriptor
            entry.platform = node.platform
            let resolved = ResolvedImage(source: reference, entry: entry, manifests: [rootStored], images: [node],
                                         platforms: node.platform.map { [$0] } ?? [], sourceIndexDigest: nil,
                                         omitted: Self.omitted(manifest))
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
                throw FerryBundleError.platformNotFound(image: name, requested: platforms,
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
                omitted += Self.omitted(manifest)
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
            var subset = index
            subset.manifests = children
            var annotations = subset.annotations ?? [:]
            annotations[AnnotationKey.sourceIndexDigest] = root.descriptor.digest.description
            subset.annotations = annotations
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let bytes = Array(try encoder.encode(subset))
            let mediaType = root.descriptor.mediaType
            entry = Descriptor(mediaType: mediaType, digest: DigestHasher.digest(of: bytes), size: Int64(bytes.count))
            stored.insert(StoredManifest(descriptor: entry, bytes: bytes), at: 0)
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
            throw FerryBundleError.unsupportedMediaType(image: name, mediaType: child.mediaType)
        }
        let fetched: FetchedManifest
        do {
            fetched = try await source.manifest(reference.with(tag: nil, digest: child.digest))
        } catch {
            throw FerryBundleError.image(name, doing: "fetching child manifest \(child.digest)", underlying: error)
        }
        guard Int64(fetched.bytes.count) == child.size else {
            throw FerryBundleError.descriptorMismatch(image: name, digest: child.digest,
                                                      reason: "index says \(child.size) bytes, manifest has \(fetched.bytes.count)")
        }
        return FetchedManifest(bytes: fetched.bytes, mediaType: child.mediaType, digest: fetched.digest)
    }

    private func parse(_ fetched: FetchedManifest, image: String) throws -> ParsedManifest {
        do {
            return try fetched.parse()
        } catch {
            throw FerryBundleError.image(image, doing: "reading manifest \(fetched.digest)", underlying: error)
        }
    }

    private func imageNode(_ reference: ImageReference, descriptor: Descriptor, manifest: ImageManifest) async throws -> ImageNode {
        let name = reference.description
        let config = manifest.config
        guard config.size <= Self.maximumConfigSize else {
            throw FerryBundleError.descriptorMismatch(image: name, digest: config.digest,
                                                      reason: "config of \(config.size) bytes is over the \(Self.maximumConfigSize)-byte limit")
        }
        let target = MemoryBlobTarget(config)
        let bytes: [UInt8]
        do {
            try await source.blob(reference, descriptor: config, into: target)
            bytes = try target.finish()
        } catch {
            throw FerryBundleError.blob(config.digest, images: [name], doing: "fetching config", underlying: error)
        }
        return ImageNode(descriptor: descriptor, manifest: manifest, config: bytes, platform: Self.platform(ofConfig: bytes))
    }

    /// The platform an image config declares (`os`, `architecture`, `variant`), if any.
    static func platform(ofConfig bytes: [UInt8]) -> Platform? {
        struct Config: Decodable { var os: String?; var architecture: String?; var variant: String? }
        // Artifacts have configs that are not image configs (or not JSON): they have no platform.
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)),
              let os = config.os, let architecture = config.architecture, !os.isEmpty, !architecture.isEmpty else { return nil }
        return Platform(os: os, architecture: architecture, variant: config.variant)
    }

    /// Layers that must not be redistributed: they carry `urls` (Windows base layers).
    static func omitted(_ manifest: ImageManifest) -> [Descriptor] {
        manifest.layers.filter { !($0.urls ?? []).isEmpty || $0.mediaType == .dockerForeignLayerGzip }
    }
}
