public import FerryCore
public import FerryRegistry
import FerryTransfer

/// One source image and where it goes (`ferry copy SRC DST`, or one mapping of a sync file).
public struct CopyRequest: Sendable, Equatable {
    public var source: ImageReference
    /// Full references; an empty tag keeps the source's tag.
    public var destinations: [ImageReference]

    public init(source: ImageReference, destinations: [ImageReference]) {
        self.source = source
        self.destinations = destinations
    }
}

public struct CopyOptions: Sendable {
    public var requests: [CopyRequest]
    public var platforms: [Platform] = []
    public var jobs = 4
    /// Bring what is attached to each image (signatures, SBOMs, referrers), as export does.
    public var referrers = true
    public var keepGoing = false
    public var dryRun = false

    public init(requests: [CopyRequest]) { self.requests = requests }
}

/// `ferry copy` and `ferry sync`: registry to registry when a route exists, with export's
/// resolver (platform selection, attachments) and import's publisher (HEAD before upload,
/// mounts, blobs before manifests before tags), and no local disk in between: layers stream
/// from the source into the upload through a bounded pipe (`RegistrySupply`), hashed on the way.
public struct Copier: Sendable {
    public let source: any ImageSource
    /// The destination side (it may be the same client as the source's).
    public let client: RegistryClient
    public let progress: ProgressHandler

    public init(source: any ImageSource, client: RegistryClient, progress: @escaping ProgressHandler = { _ in }) {
        self.source = source
        self.client = client
        self.progress = progress
    }

    public func run(_ options: CopyOptions) async throws -> ImportReport {
        var seen = Set<String>()
        let sources = options.requests.map(\.source).filter { seen.insert($0.description).inserted }
        guard !sources.isEmpty else { throw FerryOperationsError.noImages }
        var resolved = try await ImageResolver(source: source, platforms: options.platforms, progress: progress)
            .resolveAll(sources, jobs: options.jobs)
        let byName = Dictionary(resolved.map { ($0.source.description, $0) }, uniquingKeysWith: { first, _ in first })
        var work: [(ResolvedImage, ImageReference)] = []
        for request in options.requests {
            guard let image = byName[request.source.description] else { continue }
            for destination in request.destinations {
                work.append((image, Self.destination(destination, for: image.source)))
            }
        }
        if options.referrers {
            let attached = try await AttachmentFinder(source: source, progress: progress)
                .attachments(of: resolved, requested: seen, jobs: options.jobs)
            resolved += attached
            // An attachment goes wherever its subject's image goes, under its own tag or digest.
            for artifact in attached {
                guard let subject = artifact.subject else { continue }
                for (image, destination) in work where image.source.name == artifact.source.name
                    && image.manifests.contains(where: { $0.descriptor.digest == subject }) {
                    let target = destination.with(tag: artifact.source.tag, digest: artifact.source.digest)
                    if !work.contains(where: { $0.1 == target && $0.0.source == artifact.source }) { work.append((artifact, target)) }
                }
            }
        }
        let images = work.map { image, destination in
            let omitted = Set(image.omitted.map(\.digest))
            var blobs: [Descriptor] = []
            var listed = Set<Digest>()
            for blob in image.blobs where !omitted.contains(blob.digest) && listed.insert(blob.digest).inserted { blobs.append(blob) }
            return PublishImage(source: image.source, destination: destination, entry: image.entry,
                               manifests: image.manifests.reversed(), blobs: blobs)
        }
        var report = ImportReport(input: "copy", dryRun: options.dryRun, planned: images, unnamed: [])
        guard !options.dryRun else { return report }
        progress(.imagesPlanned(images.count))
        let supply = RegistrySupply(source: source, images: resolved)
        let outcome = try await RegistryPublisher(client: client, progress: progress)
            .publish(images, from: supply, chunkSize: nil, jobs: options.jobs, keepGoing: options.keepGoing)
        report.add(outcome)
        progress(.finished)
        return report
    }

    /// The destination for `source`: `destination` as given, or with the source's tag (and
    /// digest, for a digest-only source) when it names no tag of its own.
    static func destination(_ destination: ImageReference, for source: ImageReference) -> ImageReference {
        guard destination.tag == nil && destination.digest == nil else { return destination }
        return destination.with(tag: source.tag, digest: source.tag == nil ? source.digest : nil)
    }
}
