public import FerryArchive
public import FerryCore
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
        var seen = Set<String>()
        let references = options.references.filter { seen.insert($0.description).inserted }
        guard !references.isEmpty else { throw FerryBundleError.noImages }
        let images = try await resolveAll(references, platforms: options.platforms, jobs: options.jobs)
        let plan = CopyPlan(images: images)
        let destination: any ImageDestination
        let format: String
        switch options.output {
        case .bundle(let path):
            destination = BundleWriter(outputPath: path, created: options.created, signingKey: options.signingKey,
                                       compression: options.compression)
            format = "ferry"
        case .archive(let path, let bundleFormat):
            destination = BundleWriter(outputPath: path, created: options.created, format: bundleFormat,
                                       compression: options.compression)
            format = bundleFormat.rawValue
        case .layout(let path):
            destination = LayoutDestination(directory: path)
            format = "oci-layout"
        }
        let present = try await destination.begin(plan)
        let engine = CopyEngine(source: source, destination: destination, jobs: options.jobs, progress: progress)
        let transferred = try await engine.transfer(plan, present: present)
        let result = try await destination.commit()
        progress(.finished)
        let reusedLayers = plan.blobs.filter { $0.bytes == nil && present.contains($0.descriptor.digest) }.count
        return ExportReport(
            output: result.path, format: format, contentIndexDigest: result.contentIndexDigest?.description,
            images: images.map { image in
                ExportReport.Image(reference: image.name, digest: image.entry.digest.description,
                                   mediaType: image.entry.mediaType.rawValue, platforms: image.platforms.map(\.description),
                                   sourceDigest: image.sourceIndexDigest?.description)
            },
            blobCount: plan.blobs.count, uniqueBytes: plan.uniqueBytes, bytesWritten: result.bytesWritten,
            blobsTransferred: transferred.blobs, bytesTransferred: transferred.bytes, blobsReused: reusedLayers,
            dedupSavedBytes: plan.dedupSavedBytes,
            omittedBlobs: Array(Set(images.flatMap { $0.omitted.map(\.digest.description) })).sorted())
    }

    /// Resolves images in parallel (bounded), keeping the order they were given in.
    private func resolveAll(_ references: [ImageReference], platforms: [Platform], jobs: Int) async throws -> [ResolvedImage] {
        let resolver = ImageResolver(source: source, platforms: platforms, progress: progress)
        var results = [ResolvedImage?](repeating: nil, count: references.count)
        try await withThrowingTaskGroup(of: (Int, ResolvedImage).self) { group in
            var next = references.enumerated().makeIterator()
            func startNext() -> Bool {
                guard let (index, reference) = next.next() else { return false }
                group.addTask { (index, try await resolver.resolve(reference)) }
                return true
            }
            for _ in 0..<max(1, jobs) where !startNext() { break }
            while let (index, image) = try await group.next() {
                results[index] = image
                _ = startNext()
            }
        }
        return results.compactMap { $0 }
    }
}
