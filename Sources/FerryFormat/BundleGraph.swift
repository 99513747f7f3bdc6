package import FerryCore
import Foundation

/// The image graph of a local bundle or layout: from an `index.json` entry down to every
/// manifest (read whole, hashed, parsed, media types agreeing) and every blob, which must be
/// present. Shared by import and inspect, so both read a bundle by the same rules.
package enum BundleGraph {
    package struct Graph {
        /// Children before parents, the entry last.
        package var manifests: [StoredManifest] = []
        /// Configs and layers in manifest order (with repeats across platforms).
        package var blobs: [Descriptor] = []
        /// Platforms of the index children (empty for a single manifest).
        package var platforms: [Platform] = []
        /// The configs among `blobs`.
        var configs: Set<Digest> = []

        package init() {}

        /// Distinct layers (blobs that are not some manifest's config).
        package var layerCount: Int { Set(blobs.map(\.digest)).subtracting(configs).count }
    }

    /// A layout's `index.json`. Docker 25.0.0 and 25.0.1 write `"manifests": null` when they
    /// save an untagged image (the images are then only in `manifest.json`); that reads as an
    /// index with no entries (issue 21, item 2), and `usesDockerSide` sends the reader there.
    package static func decodeIndex(_ bytes: [UInt8], location: String) throws -> ImageIndex {
        do {
            return try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
        } catch {
            struct NullManifests: Decodable { var schemaVersion: Int; var manifests: [Descriptor]? }
            if let loose = try? JSONDecoder().decode(NullManifests.self, from: Data(bytes)), loose.manifests == nil {
                return ImageIndex(schemaVersion: loose.schemaVersion, mediaType: nil, manifests: [])
            }
            throw FerryFormatError.input(path: location, reason: "index.json is not an OCI index: \(DecodingSummary.of(error))")
        }
    }

    /// Whether an input's images are to be read from `manifest.json` (its docker side): it has
    /// no `index.json`, or one without entries next to a `manifest.json` (Docker 25.0.0/25.0.1).
    package static func usesDockerSide(_ store: any BlobStore, index: ImageIndex?) -> Bool {
        guard let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else { return false }
        return index?.manifests.isEmpty ?? true
    }

    /// Bounds on one image's graph, so a small hostile bundle cannot make a walk explode
    /// (issue 15, item 4: five nested indexes listing their child 60 times were 60^5 walks).
    /// Real images nest two or three levels and hold a few dozen manifests.
    static let maximumDepth = 16
    static let maximumManifests = 10_000

    /// `external`: configs and layers an incremental bundle leaves to its base bundles
    /// (SPEC.md §12); they may be absent from the store, and must then match in size.
    ///
    /// Each (digest, media type) is read and walked once per image: a manifest listed again,
    /// under the same index or another, adds nothing new.
    package static func walk(_ entry: Descriptor, store: any BlobStore, image: String,
                     external: [Digest: ContentIndex.BaseBlob] = [:]) throws -> Graph {
        var walker = Walker(store: store, image: image, external: external)
        try walker.walk(entry, depth: 0)
        return walker.graph
    }

    private struct Visit: Hashable {
        var digest: Digest
        var mediaType: MediaType
    }

    private struct Walker {
        let store: any BlobStore
        let image: String
        let external: [Digest: ContentIndex.BaseBlob]
        var graph = Graph()
        var visited: Set<Visit> = []
        /// Manifests in `graph.manifests`, which holds each digest once.
        var listed: Set<Digest> = []

        init(store: any BlobStore, image: String, external: [Digest: ContentIndex.BaseBlob]) {
            self.store = store
            self.image = image
            self.external = external
        }

        /// Depth-first: children are appended before their parent.
        mutating func walk(_ descriptor: Descriptor, depth: Int) throws {
            guard descriptor.mediaType.isManifest else {
                throw FerryFormatError.unsupportedMediaType(image: image, mediaType: descriptor.mediaType)
            }
            guard visited.insert(Visit(digest: descriptor.digest, mediaType: descriptor.mediaType)).inserted else { return }
            guard depth <= BundleGraph.maximumDepth, visited.count <= BundleGraph.maximumManifests else {
                throw FerryFormatError.input(path: store.location,
                                             reason: "\(image) nests indexes deeper than \(BundleGraph.maximumDepth) levels or holds more than \(BundleGraph.maximumManifests) manifests")
            }
            let bytes = try store.readVerified(descriptor)
            let parsed: ParsedManifest
            do {
                parsed = try ParsedManifest.parse(bytes, mediaType: descriptor.mediaType, digest: descriptor.digest)
            } catch {
                throw FerryFormatError.image(image, doing: "reading manifest in \(store.location)", underlying: error)
            }
            switch parsed {
            case .index(let index):
                for child in index.manifests {
                    if let platform = child.platform { graph.platforms.append(platform) }
                    try walk(child, depth: depth + 1)
                }
            case .image(let manifest):
                graph.configs.insert(manifest.config.digest)
                let omitted = Set(manifest.nonDistributableLayers.map(\.digest))
                for blob in manifest.blobs where !omitted.contains(blob.digest) {
                    try check(blob)
                    graph.blobs.append(blob)
                }
            }
            if listed.insert(descriptor.digest).inserted {
                graph.manifests.append(StoredManifest(descriptor: descriptor, bytes: bytes))
            }
        }

        /// A config or layer is in the store with its size, or left to a base bundle with it.
        private func check(_ blob: Descriptor) throws {
            guard let location = store.blob(blob.digest) else {
                guard let base = external[blob.digest] else {
                    throw FerryFormatError.input(path: store.location, reason: "\(image) needs blob \(blob.digest), which the input does not carry")
                }
                guard base.size == blob.size else {
                    throw FerryFormatError.damaged(path: store.location,
                                                   reason: "\(image) needs blob \(blob.digest) of \(blob.size) bytes; the content index leaves it to the base bundle with \(base.size)")
                }
                return
            }
            guard location.size == blob.size else {
                throw FerryFormatError.damaged(path: store.location,
                                               reason: "\(location.name) has \(location.size) bytes, \(image) says \(blob.size)")
            }
        }
    }
}
