public import FerryCore
public import FerryFormat
import FerryTransfer

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
    /// Where the import journal of a ferry bundle goes (`ImportJournal`): nil for none.
    public var journalDirectory: String? = nil

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
    /// Images an earlier run finished, by the import journal: skipped without a request.
    public var imagesSkipped = 0
    /// The import journal, when one was kept.
    public var journal: String? = nil
    /// The errors behind `failures`, for exit codes (not encoded).
    public var errors: [any Error] = []

    /// The report of a planned import: what goes where, nothing sent yet.
    init(input: String, dryRun: Bool, planned: [PublishImage], unnamed: [String]) {
        self.input = input
        self.dryRun = dryRun
        images = planned.map {
            Image(source: $0.source.description, destination: $0.destination.description, digest: $0.entry.digest.description,
                  mediaType: $0.entry.mediaType.rawValue, builtManifest: $0.builtManifest)
        }
        self.unnamed = unnamed
        blobsUploaded = 0
        blobsMounted = 0
        blobsSkipped = 0
        bytesUploaded = 0
        manifestsPushed = 0
        tagsPushed = 0
    }

    /// Adds what a publish did.
    mutating func add(_ outcome: PublishOutcome) {
        blobsUploaded += outcome.blobsUploaded
        blobsMounted += outcome.blobsMounted
        blobsSkipped += outcome.blobsSkipped
        bytesUploaded += outcome.bytesUploaded
        manifestsPushed += outcome.manifestsPushed
        tagsPushed += outcome.tagsPushed
        for failure in outcome.failures {
            failures.append(Failure(image: failure.image, error: "\(failure.error)"))
            errors.append(failure.error)
        }
    }

    enum CodingKeys: String, CodingKey {
        case input, dryRun, images, unnamed, blobsUploaded, blobsMounted, blobsSkipped, bytesUploaded,
             manifestsPushed, tagsPushed, failures, imagesSkipped, journal
    }
}
