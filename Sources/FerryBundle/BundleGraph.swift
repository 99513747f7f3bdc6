import FerryCore
import Foundation

/// The image graph of a local bundle or layout: from an `index.json` entry down to every
/// manifest (read whole, hashed, parsed, media types agreeing) and every blob, which must be
/// present. Shared by import and inspect, so both read a bundle by the same rules.
enum BundleGraph {
    struct Graph {
        /// Children before parents, the entry last.
        var manifests: [StoredManifest] = []
        /// Configs and layers in manifest order (with repeats across platforms).
        var blobs: [Descriptor] = []
        /// Platforms of the index children (empty for a single manifest).
        var platforms: [Platform] = []
        /// The configs among `blobs`.
        var configs: Set<Digest> = []

        /// Distinct layers (blobs that are not some manifest's config).
        var layerCount: Int { Set(blobs.map(\.digest)).subtracting(configs).count }
    }

    static func decodeIndex(_ bytes: [UInt8], location: String) throws -> ImageIndex {
        do {
            return try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
        } catch {
            throw FerryBundleError.input(path: location, reason: "index.json is not an OCI index: \(ParsedManifestSummary.of(error))")
        }
    }

    /// `external`: configs and layers an incremental bundle leaves to its base bundles
    /// (SPEC.md §12); they may be absent from the store, and must then match in size.
    static func walk(_ entry: Descriptor, store: any BlobStore, image: String,
                     external: [Digest: ContentIndex.BaseBlob] = [:]) throws -> Graph {
        var graph = Graph()
        try walk(entry, store: store, image: image, external: external, manifests: &graph.manifests, blobs: &graph.blobs,
                 platforms: &graph.platforms, configs: &graph.configs)
        return graph
    }

    /// Depth-first: children are appended before their parent.
    static func walk(_ descriptor: Descriptor, store: any BlobStore, image: String, external: [Digest: ContentIndex.BaseBlob],
                             manifests: inout [StoredManifest], blobs: inout [Descriptor],
                             platforms: inout [Platform], configs: inout Set<Digest>) throws {
        guard descriptor.mediaType.isManifest else {
            throw FerryBundleError.unsupportedMediaType(image: image, mediaType: descriptor.mediaType)
        }
        let bytes = try store.readVerified(descriptor)
        let parsed: ParsedManifest
        do {
            parsed = try ParsedManifest.parse(bytes, mediaType: descriptor.mediaType, digest: descriptor.digest)
        } catch {
            throw FerryBundleError.image(image, doing: "reading manifest in \(store.location)", underlying: error)
        }
        switch parsed {
        case .index(let index):
            for child in index.manifests {
                if let platform = child.platform { platforms.append(platform) }
                try walk(child, store: store, image: image, external: external, manifests: &manifests, blobs: &blobs, platforms: &platforms, configs: &configs)
            }
        case .image(let manifest):
            configs.insert(manifest.config.digest)
            let omitted = Set(ImageResolver.omitted(manifest).map(\.digest))
            for blob in manifest.blobs where !omitted.contains(blob.digest) {
                guard let location = store.blob(blob.digest) else {
                    if let base = external[blob.digest] {
                        guard base.size == blob.size else {
                            throw FerryBundleError.damaged(path: store.location,
                                                           reason: "\(image) needs blob \(blob.digest) of \(blob.size) bytes; the content index leaves it to the base bundle with \(base.size)")
                        }
                        blobs.append(blob)
                        continue
                    }
                    throw FerryBundleError.input(path: store.location, reason: "\(image) needs blob \(blob.digest), which the input does not carry")
                }
                guard location.size == blob.size else {
                    throw FerryBundleError.damaged(path: store.location,
                                                   reason: "\(location.name) has \(location.size) bytes, \(image) says \(blob.size)")
                }
                blobs.append(blob)
            }
        }
        if !manifests.contains(where: { $0.descriptor.digest == descriptor.digest }) {
            manifests.append(StoredManifest(descriptor: descriptor, bytes: bytes))
        }
    }

}
