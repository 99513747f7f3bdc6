public import FerryCore
public import FerryPlan
import FerryTransfer
public import Foundation

/// What `ferry plan` is asked to do.
public struct PlanOptions: Sendable {
    public var references: [ImageReference]
    public var platforms: [Platform]
    public var shards: Int
    public var jobs: Int
    /// Look for attachments (signatures, attestations, SBOMs, referrers) and pin them too.
    public var referrers = true
    /// Becomes the `created` of every shard's bundle.
    public var created: Date
    /// Images sharing a blob at least this large are kept in one shard where they fit.
    public var groupMinSize: Int64 = 1 << 20

    public init(references: [ImageReference], platforms: [Platform], shards: Int, jobs: Int = 8, created: Date) {
        self.references = references
        self.platforms = platforms
        self.shards = shards
        self.jobs = jobs
        self.created = created
    }
}

/// A plan and the figures `ferry plan` prints beside it.
public struct PlanResult: Sendable {
    public var plan: MigrationPlan
    /// The plan's own assignment.
    public var spread: SpreadFigures
    /// The naive split by repository-name hash, for comparison.
    public var repositoryHash: SpreadFigures
}

/// `ferry plan`: resolves every reference to a manifest digest (manifests and configs only, no
/// layer bytes), pins it with its attachments, and spreads the images over shards
/// (`ShardAssigner`). References are resolved `batchSize` at a time and kept only as digests
/// and sizes, so memory follows the number of distinct blobs, not of manifests and configs.
public struct Planner: Sendable {
    public let source: any ImageSource
    public let progress: ProgressHandler
    static let batchSize = 256

    public init(source: any ImageSource, progress: @escaping ProgressHandler = { _ in }) {
        self.source = source
        self.progress = progress
    }

    public func run(_ options: PlanOptions) async throws -> PlanResult {
        var seen = Set<String>()
        let references = options.references.filter { seen.insert($0.description).inserted }
        guard !references.isEmpty else { throw FerryOperationsError.noImages }
        let resolver = ImageResolver(source: source, platforms: options.platforms, progress: progress)
        var images: [MigrationPlan.Image] = []
        var sizes: [Digest: Int64] = [:]
        var attachmentCount = 0
        for start in stride(from: 0, to: references.count, by: Self.batchSize) {
            let batch = Array(references[start..<min(start + Self.batchSize, references.count)])
            var resolved = try await resolver.resolveAll(batch, jobs: options.jobs)
            if options.referrers {
                let attached = try await AttachmentFinder(source: source, progress: progress)
                    .attachments(of: resolved, requested: seen, jobs: options.jobs)
                for image in attached { seen.insert(image.name) }
                attachmentCount += attached.count
                resolved += attached
            }
            for image in resolved { images.append(Self.pin(image, sizes: &sizes)) }
        }
        if attachmentCount > 0 {
            progress(.note("also pinned \(attachmentCount) attached artifact(s) (signatures, attestations, SBOMs, referrers), each in its image's shard; --no-referrers leaves them out"))
        }
        progress(.finished)
        return try Self.assemble(images, sizes: sizes, options: options)
    }

    /// An image as the plan keeps it: digests and sizes only.
    static func pin(_ image: ResolvedImage, sizes: inout [Digest: Int64]) -> MigrationPlan.Image {
        let omitted = Set(image.omitted.map(\.digest))
        var blobs = Set<Digest>()
        for blob in image.blobs where !omitted.contains(blob.digest) {
            blobs.insert(blob.digest)
            if sizes[blob.digest] == nil { sizes[blob.digest] = blob.size }
        }
        var manifests: [Digest: MigrationPlan.Manifest] = [:]
        for stored in image.manifests {
            let descriptor = stored.descriptor
            manifests[descriptor.digest] = MigrationPlan.Manifest(digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size)
        }
        let entry = MigrationPlan.Manifest(digest: image.entry.digest, mediaType: image.entry.mediaType, size: image.entry.size)
        // A platform subset is rebuilt from the registry's index: that is what is pinned.
        return MigrationPlan.Image(reference: image.name, pinned: image.sourceIndexDigest ?? image.entry.digest, entry: entry,
                                   manifests: manifests.values.sorted { $0.digest.description < $1.digest.description },
                                   blobs: blobs.sorted { $0.description < $1.description }, subject: image.subject)
    }

    /// Sorts, assigns shards and computes the figures: everything after the network.
    static func assemble(_ pinned: [MigrationPlan.Image], sizes: [Digest: Int64], options: PlanOptions) throws -> PlanResult {
        var images = pinned.sorted { $0.reference < $1.reference }
        let blobs = sizes.map { MigrationPlan.Blob(digest: $0.key, size: $0.value) }.sorted { $0.digest.description < $1.digest.description }
        var blobIndex: [Digest: Int] = [:]
        for (index, blob) in blobs.enumerated() { blobIndex[blob.digest] = index }
        let blobSizes = blobs.map(\.size)

        // Units: every image, with its attachments joined to the image whose manifest they name.
        var units: [ShardAssigner.Unit] = []
        var unitOfImage = Array(repeating: 0, count: images.count)
        var unitOfManifest: [Digest: Int] = [:]
        for (index, image) in images.enumerated() where image.subject == nil {
            unitOfImage[index] = units.count
            for manifest in image.manifests where unitOfManifest[manifest.digest] == nil { unitOfManifest[manifest.digest] = units.count }
            units.append(ShardAssigner.Unit(key: image.reference, repository: MigrationPlan.repository(of: image.reference),
                                            blobs: image.blobs.compactMap { blobIndex[$0] }))
        }
        for (index, image) in images.enumerated() where image.subject != nil {
            let ids = image.blobs.compactMap { blobIndex[$0] }
            if let subject = image.subject, let unit = unitOfManifest[subject] {
                unitOfImage[index] = unit
                units[unit].blobs = Array(Set(units[unit].blobs).union(ids)).sorted()
            } else {
                unitOfImage[index] = units.count
                units.append(ShardAssigner.Unit(key: image.reference, repository: MigrationPlan.repository(of: image.reference), blobs: ids))
            }
        }
        let assignment = try ShardAssigner(sizes: blobSizes, groupMinSize: options.groupMinSize).assign(units, shards: options.shards)
        for index in images.indices { images[index].shard = assignment[unitOfImage[index]] }

        var plan = MigrationPlan(created: Timestamp.string(options.created), platforms: options.platforms.map(\.description),
                                 referrers: options.referrers,
                                 shards: Array(repeating: MigrationPlan.Shard(images: 0, bytes: 0, sharedBytes: 0), count: options.shards),
                                 images: images, blobs: blobs)
        let figures = plan.figures()
        plan.shards = figures.spread.shards
        return PlanResult(plan: plan, spread: figures.spread, repositoryHash: figures.repositoryHash)
    }
}
