import FerryArchive
public import FerryCore
import FerryHTTP
public import FerryRegistry
import Foundation

/// What `ferry import` is asked to do.
public struct ImportOptions: Sendable {
    public var input: String
    /// `--to` (with `--flatten`, `--map`): where every image goes, unless `destinationTable`
    /// names it. Nil only with a table (`import -f images.json`).
    public var destination: DestinationMapper?
    /// Destinations by source name, from an images file given on the command line (`-f`):
    /// an image it names goes to those (several, possibly on several registries); one it does
    /// not name goes through `destination`, or is left out when there is none.
    public var destinationTable: [String: [ImageReference]]?
    public var filter: ImageFilter
    public var dryRun: Bool
    public var jobs: Int
    /// Upload blobs larger than this in PATCH chunks of this size (proxies that cap bodies).
    public var chunkSize: Int64?
    /// Compression for layers of legacy docker-archives, whose manifests ferry builds.
    public var layerCompression: LayerCompression
    /// Names for unnamed `index.json` entries, in the order they appear (`--name`).
    public var names: [ImageReference] = []
    /// The repository of entries named by a tag only, or not at all (`--repository`).
    public var repository: ImageReference?
    /// Platforms to import of multi-platform indexes (`--platform`); empty: all the input holds.
    public var platforms: [Platform] = []
    /// Go on with the other images when one fails, and report every failure at the end.
    public var keepGoing = false

    public init(input: String, destination: DestinationMapper?, filter: ImageFilter = ImageFilter(), dryRun: Bool = false,
                jobs: Int = 8, chunkSize: Int64? = nil, layerCompression: LayerCompression = .gzip) {
        self.layerCompression = layerCompression
        self.input = input
        self.destination = destination
        self.filter = filter
        self.dryRun = dryRun
        self.jobs = jobs
        self.chunkSize = chunkSize
    }
}

extension ImportReport {
    /// The images whose blobs all arrived; the others are recorded as failures. An image with a
    /// failed blob gets no manifest and no tag.
    mutating func keepReady(_ images: [ImportImage], outcomes: BlobUploader.Outcomes) -> [ImportImage] {
        var ready: [ImportImage] = []
        for image in images {
            let key = image.destination.repository
            if let failure = image.blobs.lazy.compactMap({ outcomes.failed["\(key)|\($0.digest)"] }).first {
                failures.append(.init(image: image.destination.description, error: "\(failure)"))
                errors.append(failure)
            } else {
                ready.append(image)
            }
        }
        return ready
    }
}

/// The facts of a finished (or planned, with `--dry-run`) import.
public struct ImportReport: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var source: String
        public var destination: String
        public var digest: String
        public var mediaType: String
        /// True when ferry built the manifest (legacy docker-archive): the digest is new.
        public var builtManifest: Bool
    }

    /// An image that could not be imported (with `--keep-going`).
    public struct Failure: Sendable, Encodable {
        public var image: String
        public var error: String
    }

    public var input: String
    public var dryRun: Bool
    public var images: [Image]
    /// index.json entries without a usable name (not imported).
    public var unnamed: [String]
    public var blobsUploaded: Int
    public var blobsMounted: Int
    public var blobsSkipped: Int
    public var bytesUploaded: Int64
    public var manifestsPushed: Int
    public var tagsPushed: Int
    public var failures: [Failure] = []
    /// The errors behind `failures`, for exit codes (not encoded).
    public var errors: [any Error] = []

    enum CodingKeys: String, CodingKey {
        case input, dryRun, images, unnamed, blobsUploaded, blobsMounted, blobsSkipped, bytesUploaded,
             manifestsPushed, tagsPushed, failures
    }
}

/// One image to import: where it goes, its manifests children-first, and its blobs.
struct ImportImage: Sendable {
    let source: ImageReference
    let destination: ImageReference
    let entry: Descriptor
    /// Children before parents, the entry last: the order they are pushed in.
    let manifests: [StoredManifest]
    let blobs: [Descriptor]
    var builtManifest = false
}

/// `ferry import`: a bundle (or layout) into a registry, without unpacking it.
///
/// Everything in the input is checked before the first byte is sent: names, manifests (read
/// whole, hashed, parsed, media types agreeing with their descriptors) and the presence of
/// every blob. Then blobs go up (HEAD first, mount when another repository of the target has
/// them, else uploaded straight from their bytes in the bundle and hashed again on the way),
/// then child manifests by digest, then indexes, then tags: a tag never points at an image
/// whose parts are not all there.
public struct Importer: Sendable {
    public let client: RegistryClient
    public let progress: ProgressHandler

    public init(client: RegistryClient, progress: @escaping ProgressHandler = { _ in }) {
        self.client = client
        self.progress = progress
    }

    /// Imports `options.input`; pass `opened` when the caller already opened it (to read its
    /// names for an images file), so a large or compressed input is read only once.
    public func run(_ options: ImportOptions, opened: ImportInput? = nil) async throws -> ImportReport {
        let input: ImportInput
        if let opened { input = opened } else { input = try await ImportInput.open(options.input) }
        let (images, unnamed, store, notes) = try await Blocking.run { try Self.plan(store: input.store, options: options, scratch: input.scratch) }
        for note in notes { progress(.warning(note)) }
        for entry in unnamed { progress(.warning("\(options.input): \(entry) has no image name; not imported (--repository REPO names tag-only and nameless entries; --name REFERENCE names one entry, in order)")) }
        var report = ImportReport(input: options.input, dryRun: options.dryRun,
                                  images: images.map { ImportReport.Image(source: $0.source.description, destination: $0.destination.description,
                                                                          digest: $0.entry.digest.description, mediaType: $0.entry.mediaType.rawValue,
                                                                          builtManifest: $0.builtManifest) },
                                  unnamed: unnamed, blobsUploaded: 0, blobsMounted: 0, blobsSkipped: 0, bytesUploaded: 0,
                                  manifestsPushed: 0, tagsPushed: 0)
        guard !options.dryRun else { return report }
        guard !images.isEmpty else {
            // Not export's "no images given": say why this input gave none and what names them.
            guard unnamed.isEmpty else {
                throw FerryBundleError.input(path: options.input,
                                             reason: "none of its \(unnamed.count) entries has an image name; give the repository of tag-only or nameless entries with --repository REPO, or each entry a name with --name REFERENCE (in the order they appear)")
            }
            throw FerryBundleError.input(path: options.input, reason: "no image of the input was selected for import")
        }
        progress(.imagesPlanned(images.count))

        try await publish(images, supply: StoreSupply(store: store), chunkSize: options.chunkSize, jobs: options.jobs,
                          keepGoing: options.keepGoing, into: &report)
        progress(.finished)
        return report
    }

    /// Reads and checks every selected image of the input; no network. An archive with an OCI
    /// side (index.json) is read as it is; a docker-archive without one is converted, with its
    /// temporary files under `scratch`.
    static func plan(store: any BlobStore, options: ImportOptions, scratch: String) throws -> ([ImportImage], [String], any BlobStore, [String]) {
        let indexBytes = try store.indexJSON()
        let decoded = try indexBytes.map { try BundleGraph.decodeIndex($0, location: store.location) }
        guard let indexBytes, let index = decoded, !BundleGraph.usesDockerSide(store, index: index) else {
            if let tar = store as? TarBlobStore, try SkopeoDirReader.matches(tar) {
                let (entry, overlay) = try SkopeoDirReader(tar: tar).read()
                guard let source = options.names.first else { return ([], [entry.digest.description], overlay, []) }
                let graph = try BundleGraph.walk(entry, store: overlay, image: source.description)
                let image = ImportImage(source: source, destination: try Self.mapper(options).destination(for: source), entry: entry,
                                        manifests: graph.manifests, blobs: graph.blobs)
                return ([image], [], overlay, [])
            }
            guard let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else {
                throw FerryBundleError.input(path: store.location, reason: "has neither index.json nor manifest.json: not an image archive")
            }
            try FileSystem.makeDirectories(scratch)
            let converter = DockerArchiveConverter(store: tar, compression: options.layerCompression, temporaryDirectory: scratch)
            let converted = try converter.convert(filter: options.filter, mapper: try Self.mapper(options), names: options.names)
            return (converted.images, converted.unnamed, OverlayBlobStore(base: store, extra: converted.blobs), [])
        }
        try ContentIndex.read(from: store)?.checkPinnedMembers(of: store, indexJSON: indexBytes)
        let external = try BaseBundles.external(of: store)
        var images: [ImportImage] = []
        var unnamed: [String] = []
        // Destination → the source image going there. Two different images with one destination
        // would overwrite each other's tag; that is refused before anything is sent, naming both
        // (issue 15, item 11: one was dropped without a word, or a false "sides disagree" followed).
        var claimed: [String: ImageReference] = [:]
        var notes: [String] = []
        var names = options.names.makeIterator()
        for entry in index.manifests {
            guard let source = ImportNaming.name(of: entry, repository: options.repository) ?? names.next() else {
                unnamed.append(entry.digest.description)
                continue
            }
            guard options.filter.accepts(source.description) else { continue }
            let targets: [ImageReference]
            if let listed = options.destinationTable?[source.description] {
                targets = listed
            } else if let mapper = options.destination {
                targets = [try mapper.destination(for: source)]
            } else {
                continue  // not selected by the images file, and no --to
            }
            var fresh: [ImageReference] = []
            for target in targets {
                if let other = claimed[target.description] {
                    guard other == source else {
                        throw FerryBundleError.input(path: store.location,
                                                     reason: "\(other) and \(source) would both go to \(target); give one another destination (--map SRC=DST) or leave one out (--exclude)")
                    }
                    continue
                }
                claimed[target.description] = source
                fresh.append(target)
            }
            guard !fresh.isEmpty else { continue }
            var graph: BundleGraph.Graph
            var imported = entry
            var built = false
            if let selection = try SparseIndex.select(entry, store: store, platforms: options.platforms, image: source.description) {
                // Some platforms only: walk the chosen children, then push ferry's new index (if
                // any) after them; an index naming manifests the registry will not have is never pushed.
                graph = BundleGraph.Graph()
                for child in selection.children {
                    let part = try BundleGraph.walk(child, store: store, image: source.description, external: external)
                    graph.manifests += part.manifests.filter { manifest in !graph.manifests.contains { $0.descriptor.digest == manifest.descriptor.digest } }
                    graph.blobs += part.blobs
                }
                if let index = selection.builtIndex { graph.manifests.append(index) }
                imported = selection.entry
                imported.annotations = entry.annotations
                built = selection.builtIndex != nil
                if let note = selection.note { notes.append(note) }
            } else {
                graph = try BundleGraph.walk(entry, store: store, image: source.description, external: external)
            }
            for destination in fresh {
                images.append(ImportImage(source: source, destination: destination, entry: imported, manifests: graph.manifests, blobs: graph.blobs,
                                          builtManifest: built))
            }
        }
        try checkDockerSide(store: store, images: images, everything: options.filter.include.isEmpty && options.filter.exclude.isEmpty && options.destinationTable == nil && notes.isEmpty)
        return (images, unnamed, store, notes)
    }

    /// `--to`'s mapper, required where the input has no names an images file could select by
    /// (docker-archives without an OCI side, skopeo dir tars).
    static func mapper(_ options: ImportOptions) throws -> DestinationMapper {
        guard let mapper = options.destination else {
            throw FerryBundleError.input(path: options.input, reason: "this kind of input needs --to REGISTRY[/PREFIX]")
        }
        return mapper
    }


    /// A tar with both sides must tell one story: every `manifest.json` element points at a
    /// config and layers that an `index.json` image uses. Disagreement means the bundle was
    /// edited or assembled wrongly; importing either side would hide that.
    static func checkDockerSide(store: any BlobStore, images: [ImportImage], everything: Bool) throws {
        guard everything, let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else { return }
        let elements = try DockerManifestFile(tar).elements
        let used = Set(images.flatMap { $0.blobs.map(\.digest.layoutPath) })
        for (position, element) in elements.enumerated() {
            for path in [element.Config] + element.Layers {
                guard let normalised = try MemberName.normalise(path), used.contains(normalised) else {
                    throw FerryBundleError.input(path: store.location,
                                                 reason: "manifest.json[\(position)] names \(path), which no index.json image uses: the two sides disagree")
                }
            }
        }
    }

    /// Sends `images` registry by registry: every blob first (from `supply`), then the
    /// manifests of the images whose blobs all arrived, then their tags. Shared by import and
    /// copy, so both publish by the same rules.
    func publish(_ images: [ImportImage], supply: any UploadSupply, chunkSize: Int64?, jobs: Int, keepGoing: Bool,
                 into report: inout ImportReport) async throws {
        var registries: [String] = []
        for image in images where !registries.contains(image.destination.registry) { registries.append(image.destination.registry) }
        for registry in registries {
            let group = images.filter { $0.destination.registry == registry }
            let uploader = BlobUploader(client: client, supply: supply, registry: registry, chunkSize: chunkSize, progress: progress)
            let outcomes = try await uploader.transfer(group, jobs: jobs, keepGoing: keepGoing)
            report.blobsUploaded += outcomes.uploaded
            report.blobsMounted += outcomes.mounted
            report.blobsSkipped += outcomes.skipped
            report.bytesUploaded += outcomes.bytes
            let ready = report.keepReady(group, outcomes: outcomes)
            let pushed = try await pushManifests(ready, registry: registry, jobs: jobs, keepGoing: keepGoing)
            report.manifestsPushed += pushed.manifests
            report.tagsPushed += pushed.tags
            let failed = Set(pushed.failed.map(\.0))
            try await linkReferrers(ready.filter { !failed.contains($0.destination.description) }, registry: registry)
            for (image, error) in pushed.failed {
                report.failures.append(.init(image: image, error: "\(error)"))
                report.errors.append(error)
            }
        }
    }

    /// Child manifests by digest, then the entry by digest, then its tag; each skipped when the
    /// registry already has it (HEAD), so a second run pushes nothing.
    func pushManifests(_ images: [ImportImage], registry: String, jobs: Int,
                               keepGoing: Bool) async throws -> (manifests: Int, tags: Int, failed: [(String, any Error)]) {
        var manifests = 0, tags = 0
        var failed: [(String, any Error)] = []
        let pushes = ManifestPushes()
        try await withThrowingTaskGroup(of: (Int, Int, (String, any Error)?).self) { group in
            var next = images.makeIterator()
            func startNext() -> Bool {
                guard let image = next.next() else { return false }
                group.addTask {
                    do {
                        let (m, t) = try await pushManifests(of: image, registry: registry, pushes: pushes)
                        return (m, t, nil)
                    } catch where keepGoing && !(error is CancellationError) {
                        return (0, 0, (image.destination.description, error))
                    }
                }
                return true
            }
            for _ in 0..<max(1, jobs) where !startNext() { break }
            while let (m, t, failure) = try await group.next() {
                manifests += m
                tags += t
                if let failure { failed.append(failure) }
                _ = startNext()
            }
        }
        return (manifests, tags, failed)
    }

    private func pushManifests(of image: ImportImage, registry: String, pushes: ManifestPushes) async throws -> (Int, Int) {
        let repository = image.destination.repository
        var pushed = 0
        let client = self.client
        /// Puts `stored` under `reference`. distribution can answer a HEAD for a manifest it holds
        /// only in another repository (seen after a few dozen imports of the same manifests into
        /// new repositories), so a manifest ferry skipped may be missing here and an index that
        /// names it is refused with 400 (DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN). Then `needed`
        /// is put by digest without asking, and `stored` once more (issue 21, item 1).
        @Sendable func put(_ stored: StoredManifest, as reference: String, needed: ArraySlice<StoredManifest>) async throws {
            func send(_ manifest: StoredManifest, as reference: String) async throws {
                try await client.putManifest(registry: registry, repository: repository, reference: reference,
                                             bytes: manifest.bytes, mediaType: manifest.descriptor.mediaType, digest: manifest.descriptor.digest)
            }
            do {
                try await send(stored, as: reference)
            } catch let error as RegistryError where stored.descriptor.mediaType.isIndex && error.isBadRequest {
                for manifest in needed { try await send(manifest, as: manifest.descriptor.digest.description) }
                try await send(stored, as: reference)
            }
        }
        do {
            for (position, manifest) in image.manifests.enumerated() {
                let digest = manifest.descriptor.digest
                let sent = try await pushes.once(repository: repository, digest: digest) {
                    if try await client.manifestDigest(registry: registry, repository: repository, reference: digest.description) == digest {
                        return false
                    }
                    try await put(manifest, as: digest.description, needed: image.manifests[..<position])
                    return true
                }
                if sent { pushed += 1 }
            }
            guard let tag = image.destination.tag, let root = image.manifests.last else { return (pushed, 0) }
            if try await client.manifestDigest(registry: registry, repository: repository, reference: tag) == root.descriptor.digest {
                return (pushed, 0)
            }
            // The same HEAD answer can have skipped the index itself: the tag needs every manifest.
            try await put(root, as: tag, needed: image.manifests[...])
            progress(.imageCompleted(image: image.destination.description))
            return (pushed, 1)
        } catch {
            throw FerryBundleError.image(image.destination.description, doing: "pushing manifests", underlying: error)
        }
    }
}

/// Short decoding error text (shared with manifest parsing).
enum ParsedManifestSummary {
    static func of(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
                return context.debugDescription
            case .keyNotFound(let key, _):
                return "missing field \(key.stringValue)"
            @unknown default:
                return "\(decoding)"
            }
        }
        return "\(error)"
    }
}
