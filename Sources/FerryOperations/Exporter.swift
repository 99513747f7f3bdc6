public import FerryArchive
public import FerryCore
public import FerryFormat
import FerryTransfer
public import Foundation

/// What `ferry export` is asked to do.
public struct ExportOptions: Sendable {
    public enum Output: Sendable {
        /// A ferry bundle tar at this path.
        case bundle(String)
        /// A tar of another format (`--bundle-format oci-archive|docker-archive`).
        case archive(String, BundleFormat)
        /// An OCI layout directory at this path (created or added to).
        case layout(String)

        /// The file or directory written.
        public var path: String {
            switch self {
            case .bundle(let path), .archive(let path, _), .layout(let path): return path
            }
        }

        /// The format's name in reports: ferry, oci-archive, docker-archive or oci-layout.
        public var formatName: String {
            switch self {
            case .bundle: return "ferry"
            case .archive(_, let format): return format.rawValue
            case .layout: return "oci-layout"
            }
        }
    }

    public var references: [ImageReference]
    public var output: Output
    public var platforms: [Platform]
    public var jobs: Int
    public var created: Date
    /// Signs the content index of a ferry bundle.
    public var signingKey: SigningKey?
    /// Compresses the finished bundle tar as a whole.
    public var compression: (kind: StreamCompressor.Kind, level: Int?)?
    /// Cut the bundle into parts (`--split-size`).
    public var split: SplitSize?
    /// Leave out what these earlier bundles carried (`--since`; ferry format only).
    public var since: BaseBundles?
    /// Where an images file says each source should go (by source name): recorded in the
    /// bundle as `dev.ferry.destinations`, for people and tools reading it; import never
    /// takes destination hosts from a bundle (its `-f` reads the file itself).
    public var intendedDestinations: [String: [ImageReference]] = [:]
    /// Also bring what is attached to each image: cosign-style signature, attestation and SBOM
    /// tags and OCI 1.1 referrers (`--no-referrers` turns it off).
    public var referrers = true
    /// Resolve and plan only: report the images, blobs and the space needed; write nothing.
    public var dryRun = false
    /// Export one shard of a migration plan instead of `references` (`--plan`, `--shard`).
    public var shard: PlanShard? = nil
    /// Config bytes kept in memory from resolving to writing, for all images together; past it
    /// configs are fetched again with the layers (`ConfigBudget`). The bundle is the same.
    public var configBudget = ConfigBudget.defaultBytes
    /// Start even when the output's file system looks too small (`--force`).
    public var force = false

    public init(references: [ImageReference], output: Output, platforms: [Platform] = [], jobs: Int = 8, created: Date = Date()) {
        self.references = references
        self.output = output
        self.platforms = platforms
        self.jobs = jobs
        self.created = created
    }
}

/// The facts of a finished export, for humans (text) and scripts (`--format json`).
public struct ExportReport: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var reference: String
        public var digest: String
        public var mediaType: String
        public var platforms: [String]
        public var sourceDigest: String?
        /// For an attached artifact: the manifest it is attached to.
        public var subject: String? = nil
    }

    public var output: String
    public var format: String
    public var contentIndexDigest: String?
    public var images: [Image]
    public var blobCount: Int
    public var uniqueBytes: Int64
    public var bytesWritten: Int64
    public var blobsTransferred: Int
    public var bytesTransferred: Int64
    public var blobsReused: Int
    public var dedupSavedBytes: Int64
    public var omittedBlobs: [String]
    /// A split bundle's part files in order, then its part index and checksum file.
    public var parts: [String]? = nil
    /// Incremental bundles: the bases' content index digests and what was left to them.
    public var baseBundles: [String]? = nil
    public var blobsFromBase: Int? = nil
    public var bytesFromBase: Int64? = nil
    public var partIndex: String? = nil
    public var checksums: String? = nil
    /// True for `--dry-run`: nothing was fetched or written.
    public var dryRun = false
    /// The space the output needs (with tar headers; twice the bundle with --compress) and
    /// the space its file system had, as checked before the transfer.
    public var bytesNeeded: Int64? = nil
    public var bytesAvailable: Int64? = nil
    /// For one shard of a plan: the plan's SHA-256 and the shard (`i/N`).
    public var plan: String? = nil
    public var shard: String? = nil
}

/// `ferry export`: registries → one bundle (or layout). Resolve every image, plan one blob
/// pool, transfer what is missing in parallel, commit atomically.
public struct Exporter: Sendable {
    public let source: any ImageSource
    public let progress: ProgressHandler

    public init(source: any ImageSource, progress: @escaping ProgressHandler = { _ in }) {
        self.source = source
        self.progress = progress
    }

    public func run(_ options: ExportOptions) async throws -> ExportReport {
        let images: [ResolvedImage]
        var created = options.created
        if let shard = options.shard {
            images = try await resolve(shard, jobs: options.jobs, configs: ConfigBudget(bytes: options.configBudget))
            created = try shard.created()
        } else {
            images = try await resolveRequested(options)
        }
        var plan = CopyPlan(images: images)
        if let since = options.since {
            guard case .bundle = options.output else {
                throw FerryOperationsError.output(path: "\(options.output)", reason: "--since makes an incremental ferry bundle; other formats and layouts cannot record their base")
            }
            plan.leaveOut(known: since.known, bases: since.digests)
        }
        let needed = OutputSpace.needed(plan, output: options.output, compressed: options.compression != nil)
        let available = FileSystem.availableBytes(near: options.output.path)
        if options.dryRun {
            progress(.finished)
            return Self.dryRunReport(plan, images: images, options: options, needed: needed, available: available)
        }
        if !options.force { try OutputSpace.check(needed: needed, available: available, output: options.output) }
        let destination: any ImageDestination
        switch options.output {
        case .bundle(let path):
            destination = BundleWriter(outputPath: path, created: created, signingKey: options.signingKey,
                                       compression: options.compression, split: options.split, planOrigin: options.shard?.origin)
        case .archive(let path, let bundleFormat):
            destination = BundleWriter(outputPath: path, created: created, format: bundleFormat,
                                       compression: options.compression, split: options.split)
        case .layout(let path):
            destination = LayoutDestination(directory: path)
        }
        let present = try await destination.begin(plan)
        let engine = CopyEngine(source: source, destination: destination, jobs: options.jobs, progress: progress)
        let transferred = try await engine.transfer(plan, present: present)
        let result = try await destination.commit()
        progress(.finished)
        let reusedLayers = plan.blobs.filter { $0.bytes == nil && present.contains($0.descriptor.digest) }.count
        var report = ExportReport(
            output: result.path, format: options.output.formatName, contentIndexDigest: result.contentIndexDigest?.description,
            images: images.map(ExportReport.Image.init),
            blobCount: plan.blobs.count, uniqueBytes: plan.uniqueBytes, bytesWritten: result.bytesWritten,
            blobsTransferred: transferred.blobs, bytesTransferred: transferred.bytes, blobsReused: reusedLayers,
            dedupSavedBytes: plan.dedupSavedBytes,
            omittedBlobs: Array(Set(images.flatMap { $0.omitted.map(\.digest.description) })).sorted())
        if options.since != nil { report.recordBases(of: plan) }
        report.bytesNeeded = needed
        report.bytesAvailable = available
        report.recordShard(options.shard)
        if let parts = result.parts {
            report.parts = parts
            report.partIndex = BundleFiles(result.path).partIndex
            report.checksums = BundleFiles(result.path).checksums
        }
        return report
    }

    /// The images asked for by reference, each as its tag names it now, and what is attached
    /// to them.
    func resolveRequested(_ options: ExportOptions) async throws -> [ResolvedImage] {
        var seen = Set<String>()
        let references = options.references.filter { seen.insert($0.description).inserted }
        guard !references.isEmpty else { throw FerryOperationsError.noImages }
        let configs = ConfigBudget(bytes: options.configBudget)
        var images = try await ImageResolver(source: source, platforms: options.platforms, progress: progress, configs: configs)
            .resolveAll(references, jobs: options.jobs)
        for index in images.indices {
            images[index].destinations = options.intendedDestinations[images[index].source.description] ?? []
        }
        if options.referrers {
            let attached = try await AttachmentFinder(source: source, progress: progress, configs: configs)
                .attachments(of: images, requested: Set(references.map(\.description)), jobs: options.jobs)
            if !attached.isEmpty {
                progress(.note("also exporting \(attached.count) attached artifact(s) (signatures, attestations, SBOMs, referrers); --no-referrers leaves them out"))
            }
            images += attached
        }
        return images
    }

    /// What the export would write, from the plan alone.
    static func dryRunReport(_ plan: CopyPlan, images: [ResolvedImage], options: ExportOptions, needed: Int64, available: Int64?) -> ExportReport {
        var report = ExportReport(
            output: options.output.path, format: options.output.formatName, contentIndexDigest: nil,
            images: images.map(ExportReport.Image.init),
            blobCount: plan.blobs.count, uniqueBytes: plan.uniqueBytes, bytesWritten: 0, blobsTransferred: 0, bytesTransferred: 0,
            blobsReused: 0, dedupSavedBytes: plan.dedupSavedBytes,
            omittedBlobs: Array(Set(images.flatMap { $0.omitted.map(\.digest.description) })).sorted())
        report.dryRun = true
        report.bytesNeeded = needed
        report.bytesAvailable = available
        report.recordShard(options.shard)
        if options.since != nil { report.recordBases(of: plan) }
        return report
    }
}

extension ExportReport.Image {
    init(_ image: ResolvedImage) {
        self.init(reference: image.name, digest: image.entry.digest.description, mediaType: image.entry.mediaType.rawValue,
                  platforms: image.platforms.map(\.description), sourceDigest: image.sourceIndexDigest?.description,
                  subject: image.subject?.description)
    }
}

extension ExportReport {
    /// An incremental export's bases and what it left to them.
    mutating func recordBases(of plan: CopyPlan) {
        baseBundles = plan.baseBundles.map(\.description)
        blobsFromBase = plan.external.count
        bytesFromBase = plan.external.reduce(0) { $0 + $1.size }
    }
}
