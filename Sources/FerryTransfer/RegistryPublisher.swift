public import FerryCore
public import FerryRegistry

/// One image to publish: where it goes, its manifests children-first, and its blobs.
public struct PublishImage: Sendable {
    public let source: ImageReference
    public let destination: ImageReference
    public let entry: Descriptor
    /// Children before parents, the entry last: the order they are pushed in.
    public let manifests: [StoredManifest]
    public let blobs: [Descriptor]
    /// True when ferry built the entry (a legacy docker-archive's manifest, a platform subset's
    /// index): its digest is new.
    public var builtManifest = false

    public init(source: ImageReference, destination: ImageReference, entry: Descriptor, manifests: [StoredManifest],
                blobs: [Descriptor], builtManifest: Bool = false) {
        self.source = source
        self.destination = destination
        self.entry = entry
        self.manifests = manifests
        self.blobs = blobs
        self.builtManifest = builtManifest
    }
}

/// What a publish did: counts, and with keep-going the images that failed, in the order found.
public struct PublishOutcome: Sendable {
    public struct Failure: Sendable {
        /// The destination reference of the image.
        public var image: String
        public var error: any Error
    }

    public var blobsUploaded = 0, blobsMounted = 0, blobsSkipped = 0
    public var bytesUploaded: Int64 = 0
    public var manifestsPushed = 0, tagsPushed = 0
    public var failures: [Failure] = []
}

/// Puts images into registries by the rules import and copy share: every blob first (HEAD,
/// else mount from another repository of the target, else upload from `supply`), then the
/// manifests of the images whose blobs all arrived, children by digest before their parents,
/// then tags: a tag never points at an image whose parts are not all there.
public struct RegistryPublisher: Sendable {
    public let client: RegistryClient
    public let progress: ProgressHandler

    public init(client: RegistryClient, progress: @escaping ProgressHandler = { _ in }) {
        self.client = client
        self.progress = progress
    }

    /// Sends `images` registry by registry. With `keepGoing`, an image whose blob or manifest
    /// failed is recorded in the outcome and the others go on; without it the first failure is
    /// thrown.
    public func publish(_ images: [PublishImage], from supply: any UploadSupply, chunkSize: Int64?, jobs: Int,
                        keepGoing: Bool) async throws -> PublishOutcome {
        var outcome = PublishOutcome()
        var registries: [String] = []
        for image in images where !registries.contains(image.destination.registry) { registries.append(image.destination.registry) }
        for registry in registries {
            let group = images.filter { $0.destination.registry == registry }
            let uploader = BlobUploader(client: client, supply: supply, registry: registry, chunkSize: chunkSize, progress: progress)
            let blobs = try await uploader.transfer(group, jobs: jobs, keepGoing: keepGoing)
            outcome.blobsUploaded += blobs.uploaded
            outcome.blobsMounted += blobs.mounted
            outcome.blobsSkipped += blobs.skipped
            outcome.bytesUploaded += blobs.bytes
            let ready = Self.keepReady(group, blobs: blobs, outcome: &outcome)
            let pushed = try await pushManifests(ready, registry: registry, jobs: jobs, keepGoing: keepGoing)
            outcome.manifestsPushed += pushed.manifests
            outcome.tagsPushed += pushed.tags
            let failed = Set(pushed.failed.map(\.image))
            try await linkReferrers(ready.filter { !failed.contains($0.destination.description) }, registry: registry)
            outcome.failures += pushed.failed
        }
        return outcome
    }

    /// The images whose blobs all arrived; the others are recorded as failures. An image with a
    /// failed blob gets no manifest and no tag.
    static func keepReady(_ images: [PublishImage], blobs: BlobUploader.Outcomes, outcome: inout PublishOutcome) -> [PublishImage] {
        var ready: [PublishImage] = []
        for image in images {
            let repository = image.destination.repository
            if let failure = image.blobs.lazy.compactMap({ blobs.failed[BlobUploader.Pair(repository: repository, digest: $0.digest)] }).first {
                outcome.failures.append(.init(image: image.destination.description, error: failure))
            } else {
                ready.append(image)
            }
        }
        return ready
    }
}
