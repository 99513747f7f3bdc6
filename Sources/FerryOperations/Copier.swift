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
            // Found through an index of the work by repository and manifest digest, not by
            // searching it: at 10,000 signed images the search was 150 million steps.
            struct Subject: Hashable {
                let name: String
                let digest: Digest
            }
            struct Placed: Hashable {
                let image: ImageReference
                let destination: ImageReference
            }
            var bySubject: [Subject: [Int]] = [:]
            var placed = Set<Placed>()
            func enter(_ position: Int) {
                let (image, destination) = work[position]
                placed.insert(Placed(image: image.source, destination: destination))
                for manifest in image.manifests {
                    bySubject[Subject(name: image.source.name, digest: manifest.descriptor.digest), default: []].append(position)
                }
            }
            work.indices.forEach(enter)
            for artifact in attached {
                guard let subject = artifact.subject else { continue }
                for position in bySubject[Subject(name: artifact.source.name, digest: subject)] ?? [] {
                    let target = work[position].1.with(tag: artifact.source.tag, digest: artifact.source.digest)
                    guard placed.insert(Placed(image: artifact.source, destination: target)).inserted else { continue }
                    work.append((artifact, target))
                    enter(work.count - 1)
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
