public import FerryCore
import FerryFormat
public import FerryRegistry
import Foundation

/// What `ferry inspect` shows of a bundle: its images with platforms and sizes, and how much
/// the shared blob pool saves.
public struct BundleInspectionReport: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var name: String
        public var digest: String
        public var mediaType: String
        public var platforms: [String]
        /// Bytes of every distinct blob the image needs (manifests, configs, layers).
        public var size: Int64
        public var layers: Int
        /// Of `size`, the bytes of blobs other images in the bundle use too.
        public var sharedBytes: Int64
        /// For a Helm chart (its config is Helm's): what its Chart.yaml says.
        public var chart: Chart? = nil
        /// For a file artifact (`export --file`, `oras push`): its files, as extract writes them.
        public var files: [File]? = nil
    }

    /// A file an artifact carries: its name (`org.opencontainers.image.title`) and size.
    public struct File: Sendable, Encodable {
        public var name: String
        public var size: Int64
    }

    /// A chart's name, version and app version, from its config blob.
    public struct Chart: Sendable, Encodable, Decodable {
        public var name: String
        public var version: String
        public var appVersion: String?
    }

    public var input: String
    public var kind: String
    public var images: [Image]
    public var unnamed: [String]
    public var blobs: Int
    public var uniqueBytes: Int64
    /// What the images would take stored one by one, minus what the shared pool takes.
    public var dedupSavedBytes: Int64
    public var contentIndexDigest: String?
    /// An incremental bundle: the base bundles it builds on, and the blobs (count, bytes) its
    /// images need from them.
    public var baseBundles: [String]? = nil
    public var blobsFromBase: Int? = nil
    public var bytesFromBase: Int64? = nil
    /// What `ctr images import`, `podman load` and skopeo take from this archive.
    public var loaders: [LoaderOutlook] = []
}

/// What `ferry inspect docker://REF` shows of a registry image (skopeo-inspect-like).
public struct RegistryInspectionReport: Sendable, Encodable {
    public struct Child: Sendable, Encodable {
        public var platform: String?
        public var digest: String
        public var size: Int64
    }

    public struct Layer: Sendable, Encodable {
        public var digest: String
        public var size: Int64
        public var mediaType: String
    }

    public var name: String
    public var digest: String
    public var mediaType: String
    public var platforms: [Child]?
    public var tags: [String]?
    public var created: String?
    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var labels: [String: String]?
    public var layers: [Layer]?
}

/// `ferry inspect`.
public enum Inspector {
    /// Reads a bundle, oci-archive, docker-archive or layout directory; no network.
    public static func inspect(path: String) async throws -> BundleInspectionReport {
        try await Blocking.run {
            let scratch = FileSystem.newScratch("inspect")
            defer { FileSystem.removeScratch(scratch) }
            let store = try BundleInput.open(path, scratch: scratch).store()
            guard let indexBytes = try store.indexJSON() else {
                return try dockerArchive(store, path: path)
            }
            let index = try BundleGraph.decodeIndex(indexBytes, location: path)
            let external = try BaseBundles.external(of: store)
            var entries: [(name: String, entry: Descriptor, graph: BundleGraph.Graph)] = []
            var unnamed: [String] = []
            // Attachments of a 1.1 bundle are in its content index (SPEC.md §13).
            let attached = (try ContentIndex.read(from: store)?.attachments ?? []).map(\.descriptor)
            for entry in index.manifests + attached {
                let name = ImageNaming.name(of: entry)?.description ?? entry.annotations?[AnnotationKey.refName]
                if name == nil { unnamed.append(entry.digest.description) }
                let graph = try BundleGraph.walk(entry, store: store, image: name ?? entry.digest.description, external: external)
                entries.append((name ?? "(unnamed) \(entry.digest.short)", entry, graph))
            }
            // Which images use each blob, and the platform of single-manifest images.
            var users: [Digest: Set<Int>] = [:]
            var sizes: [Digest: Int64] = [:]
            for (position, item) in entries.enumerated() {
                for descriptor in item.graph.manifests.map(\.descriptor) + item.graph.blobs {
                    users[descriptor.digest, default: []].insert(position)
                    sizes[descriptor.digest] = descriptor.size
                }
            }
            var images: [BundleInspectionReport.Image] = []
            for item in entries {
                let digests = Set(item.graph.manifests.map(\.descriptor.digest) + item.graph.blobs.map(\.digest))
                let size = digests.reduce(0) { $0 + (sizes[$1] ?? 0) }
                let shared = digests.filter { (users[$0]?.count ?? 0) > 1 }.reduce(0) { $0 + (sizes[$1] ?? 0) }
                var platforms = item.graph.platforms.map(\.description)
                if platforms.isEmpty, let platform = item.entry.platform { platforms = [platform.description] }
                images.append(.init(name: item.name, digest: item.entry.digest.description, mediaType: item.entry.mediaType.rawValue,
                                    platforms: platforms, size: size, layers: item.graph.layerCount, sharedBytes: shared,
                                    chart: try chart(of: item.graph, store: store), files: files(of: item.graph)))
            }
            let unique = sizes.values.reduce(0, +)
            var contentIndex: String?
            var bases: [String]?
            if let tar = store as? TarBlobStore, tar.members[ContentIndex.memberName] != nil {
                let bytes = try tar.resolve(ContentIndex.memberName).readAll(limit: 256 << 20)
                contentIndex = DigestHasher.digest(of: bytes).description
                bases = try ContentIndex.decode(bytes).base?.bundles.map(\.description)
            }
            var report = BundleInspectionReport(input: path, kind: contentIndex == nil ? (store is LayoutBlobStore ? "oci-layout" : "oci-archive") : "ferry-bundle",
                                                images: images, unnamed: unnamed, blobs: sizes.count, uniqueBytes: unique,
                                                dedupSavedBytes: images.reduce(0) { $0 + $1.size } - unique,
                                                contentIndexDigest: contentIndex)
            let artifacts = index.manifests.filter { $0.annotations?[AnnotationKey.subject] != nil }.count
            let dockerElements = (store as? TarBlobStore).flatMap { tar in
                tar.members["manifest.json"] == nil ? 0 : try? DockerManifestFile(tar).elements.count
            } ?? 0
            report.loaders = LoaderOutlook.outlook(entries: index.manifests.count, artifacts: artifacts, dockerElements: dockerElements)
            if let bases {
                report.baseBundles = bases
                report.blobsFromBase = external.count
                report.bytesFromBase = external.values.reduce(0) { $0 + $1.size }
            }
            return report
        }
    }

    /// What a chart's config says of it; nil for anything that is not a Helm chart.
    private static func chart(of graph: BundleGraph.Graph, store: any BlobStore) throws -> BundleInspectionReport.Chart? {
        guard let config = graph.blobs.first(where: { $0.mediaType == .helmConfig }), store.blob(config.digest) != nil else {
            return nil
        }
        let bytes = try store.readVerified(config, limit: 1 << 20)
        // A Helm config without a name or version is still a chart; it is just not described.
        return try? JSONDecoder().decode(BundleInspectionReport.Chart.self, from: Data(bytes))
    }

    /// The titled layers of an artifact that is neither an image nor a chart; nil for those.
    private static func files(of graph: BundleGraph.Graph) -> [BundleInspectionReport.File]? {
        guard graph.manifests.count == 1, !graph.blobs.contains(where: { $0.mediaType.isImageConfig || $0.mediaType == .helmConfig }) else {
            return nil
        }
        let titled = graph.blobs.compactMap { blob in
            blob.annotations?["org.opencontainers.image.title"].map { BundleInspectionReport.File(name: $0, size: blob.size) }
        }
        return titled.isEmpty ? nil : titled
    }

    /// A docker-archive without an OCI side: its manifest.json elements, as they are.
    private static func dockerArchive(_ store: any BlobStore, path: String) throws -> BundleInspectionReport {
        guard let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else {
            throw FerryOperationsError.input(path: path, reason: "has neither index.json nor manifest.json: not an image archive")
        }
        let elements = try DockerManifestFile(tar).elements
        var users: [String: Int] = [:]
        var sizes: [String: Int64] = [:]
        for element in elements {
            for member in [element.Config] + element.Layers {
                let location = try tar.resolve(member)
                users[location.name, default: 0] += 1
                sizes[location.name] = location.size
            }
        }
        let images = try elements.map { element -> BundleInspectionReport.Image in
            let members = try Set(([element.Config] + element.Layers).map { try tar.resolve($0).name })
            return .init(name: element.RepoTags?.joined(separator: ", ") ?? "(unnamed)", digest: "(no registry manifest)",
                         mediaType: "docker-archive", platforms: [],
                         size: members.reduce(0) { $0 + (sizes[$1] ?? 0) }, layers: element.Layers.count,
                         sharedBytes: members.filter { (users[$0] ?? 0) > 1 }.reduce(0) { $0 + (sizes[$1] ?? 0) })
        }
        let unique = sizes.values.reduce(0, +)
        return BundleInspectionReport(input: path, kind: "docker-archive", images: images, unnamed: [], blobs: sizes.count,
                                      uniqueBytes: unique, dedupSavedBytes: images.reduce(0) { $0 + $1.size } - unique, contentIndexDigest: nil)
    }

    /// Reads a registry image: its manifest or index, its config, and with `tags` its tag list.
    public static func inspect(reference: ImageReference, client: RegistryClient, tags: Bool) async throws -> RegistryInspectionReport {
        let fetched = try await client.fetchManifest(reference)
        var report = RegistryInspectionReport(name: reference.name, digest: fetched.digest.description, mediaType: fetched.mediaType.rawValue)
        if tags {
            report.tags = try await client.listTags(registry: reference.registry, repository: reference.repository)
        }
        switch try fetched.parse() {
        case .index(let index):
            report.platforms = index.manifests.map { .init(platform: $0.platform?.description, digest: $0.digest.description, size: $0.size) }
        case .image(let manifest):
            report.layers = manifest.layers.map { .init(digest: $0.digest.description, size: $0.size, mediaType: $0.mediaType.rawValue) }
            guard manifest.config.size <= ImageManifest.maximumConfigSize else { return report }
            let target = MemoryBlobTarget(manifest.config)
            try await client.fetchBlob(registry: reference.registry, repository: reference.repository, descriptor: manifest.config, into: target)
            let bytes = try target.finish()
            struct Config: Decodable {
                struct Inner: Decodable { var Labels: [String: String]? }
                var created: String?; var architecture: String?; var os: String?; var variant: String?; var config: Inner?
            }
            if let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)) {
                report.created = config.created
                report.architecture = config.architecture
                report.os = config.os
                report.variant = config.variant
                report.labels = config.config?.Labels
            }
        }
        return report
    }
}
