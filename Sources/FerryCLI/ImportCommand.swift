import ArgumentParser
import FerryCore
import FerryFormat
import FerryOperations
import FerryRegistry
import Foundation
import Logging

/// `ferry import`: a bundle into a registry.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Push the images of a bundle (or OCI layout directory) into a registry.",
        discussion: """
        Reads a ferry bundle, an oci-archive, a Docker 25 `docker save` tar or an OCI layout \
        directory in place: one pass over the tar headers, then blobs are uploaded straight from \
        their bytes in the file, in parallel, and hashed again on the way. Nothing is extracted.

        Before anything is sent, the input's structure is checked: tar headers, member names, \
        every manifest and index (read whole and hashed) and the presence and size of every blob. \
        Configs and layers are hashed while they are uploaded; one that does not match its digest \
        stops the import with exit 76, naming the bundle member and its images, and no manifest \
        that needs it is pushed (run ferry verify first to check every byte before sending). \
        Blobs go first (skipped when the registry has them, mounted from another repository when it can), then child \
        manifests, then indexes, then tags, so a tag never points at an incomplete image. \
        Running the same import again sends nothing.

        Names come from the bundle (io.containerd.image.name, or a full \
        org.opencontainers.image.ref.name); the destination host comes only from --to: \
        docker.io/library/nginx:1.27 --to reg:5000/mirror → reg:5000/mirror/library/nginx:1.27.

        Examples:
          ferry import site-a.tar --to registry.dc2.local:5000
          ferry import site-a.tar --to harbor.local/mirror --flatten 1 --jobs 8
          ferry import site-a.tar --to reg:5000 --include 'docker.io/library/*' --dry-run
        """
    )

    @Argument(help: ArgumentHelp("Bundle tar, oci-archive, or OCI layout directory.", valueName: "input"))
    var input: String

    @Option(name: .customLong("to"), help: ArgumentHelp("Destination registry, optionally with a path prefix. With -f: the destination of images the file sends to \"\" (image-syncer's default registry/namespace) and of plain lists.", valueName: "registry[/prefix]"))
    var destination: String?

    @Option(name: [.customShort("f"), .customLong("images-file")], help: ArgumentHelp("Apply the destination side of an image-syncer/SWR images.json|yaml or skopeo sync YAML (formats/sync-files): each image of the bundle its rules select goes to the rule's destinations (tags, regex and semver are matched against the tags the bundle carries); images it does not select are left out. A plain list selects images for --to.", valueName: "file"))
    var imagesFile: String?

    @Option(name: .customLong("flatten"), help: "Drop this many leading components of each source repository path.")
    var flatten: Int = 0

    @Option(name: .customLong("include"), help: ArgumentHelp("Import only images whose full source name matches this glob. Repeatable.", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip images whose full source name matches this glob. Repeatable.", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("map"), help: ArgumentHelp("Exact override: the image SRC (as named in the bundle) goes to DST, a repository[:tag] under --to's registry. Repeatable.", valueName: "src=dst"))
    var map: [String] = []

    @Option(name: .customLong("name"), help: ArgumentHelp("Name for an unnamed entry of the input (in the order they appear). Repeatable.", valueName: "reference"))
    var names: [String] = []

    @Option(name: .customLong("platform"), help: ArgumentHelp("Import only these platforms of multi-platform images (os/arch[/variant], repeatable). One platform: its own manifest goes under the tag; several: a new index of them (new digest, with a warning). Without it, an index whose platforms are not all in the input (a docker save with the containerd store) is imported with the platforms it holds.", valueName: "os/arch[/variant]"))
    var platforms: [String] = []

    @Option(name: .customLong("repository"), help: ArgumentHelp("Repository of the entries the input names by a tag only (org.opencontainers.image.ref.name = 1.0, as Docker 25+, containerd, BuildKit and regclient write) or not at all (crane): they become REPOSITORY:TAG, or REPOSITORY@DIGEST. A full name the input carries wins.", valueName: "repository"))
    var repository: String?

    @Flag(name: .customLong("keep-going"), help: "Go on with the other images when one fails; report every failure at the end (exit non-zero).")
    var keepGoing = false

    @Flag(name: .customLong("dry-run"), help: "Check the input and print the plan (source → destination); send nothing.")
    var dryRun = false

    @Option(name: [.customShort("j"), .customLong("jobs"), .customLong("proc")], help: "Blobs uploaded in parallel (--proc: image-syncer's name).")
    var jobs: Int = 8

    @Option(name: .customLong("chunk-size"), help: ArgumentHelp("Upload blobs larger than this in chunks of this size (for proxies that cap request bodies), e.g. 64M (K/M/G are powers of 1000, Ki/Mi/Gi of 1024).", valueName: "size"))
    var chunkSize: String?

    @Option(name: .customLong("layer-compression"),
            help: "For docker-archives without registry manifests (docker save before 25): compress their layers with gzip, zstd or none. ferry builds their manifests, so their digests are new (reported).")
    var layerCompression: String = LayerCompression.gzip.rawValue

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var records: RunRecordOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard destination != nil || imagesFile != nil else { throw ValidationError("give --to REGISTRY[/PREFIX] or -f IMAGES-FILE") }
        guard flatten >= 0 else { throw ValidationError("--flatten must not be negative") }
        guard LayerCompression(rawValue: layerCompression) != nil else {
            throw ValidationError("--layer-compression must be gzip, zstd or none")
        }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = records.makeLogger(level: outputOptions.logLevel, terminal: terminal)
        do {
            let chunk = try chunkSize.map { text -> Int64 in
                guard let size = ByteCount.parse(text), size >= 1_000_000 else {
                    throw ValidationError("--chunk-size must be a size of at least 1M (K/M/G are powers of 1000, Ki/Mi/Gi of 1024), like 64M or 1Gi")
                }
                return size
            }
            let mapper = try destination.map { try DestinationMapper(to: $0, flatten: flatten, map: map) }
            let entryNames = try names.map { try ImageReference(parsing: $0) }
            let file = try imagesFile.map { try ExportInputFile.load(path: $0) }
            var table: [String: [ImageReference]]?
            // With -f the input is opened first (its names select the images) and then imported
            // as it is: a compressed bundle is decompressed once, not twice.
            var opened: ImportInput?
            if let file {
                let input = try await ImportInput.open(ExportCommand.absolute(input))
                opened = input
                table = try await ImportDestinations.table(file: file, input: input, mapper: mapper,
                                                           terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            }
            var targets = Set(mapper.map { [$0.registry] } ?? [])
            for references in (table ?? [:]).values { targets.formUnion(references.map(\.registry)) }
            let client = try registry.makeClient(registries: targets, jobs: jobs, logger: logger)
            let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
            let importer = Importer(client: client, progress: renderer.handle)
            var options = ImportOptions(
                input: ExportCommand.absolute(input), destination: mapper,
                filter: ImageFilter(include: include, exclude: exclude), dryRun: dryRun, jobs: jobs, chunkSize: chunk,
                layerCompression: LayerCompression(rawValue: layerCompression) ?? .gzip)
            options.names = entryNames
            options.platforms = try platforms.map { try Platform(parsing: $0) }
            if let repository {
                // A tag would sit in the last path component; "registry:5000/team/app" has none.
                guard !repository.contains("@"), repository.split(separator: "/").last?.contains(":") != true else {
                    throw ValidationError("--repository takes a repository without tag or digest, like team/app or registry.local/team/app")
                }
                options.repository = try ImageReference(parsing: repository)
            }
            options.keepGoing = keepGoing
            options.destinationTable = table
            let report = try await importer.run(options, opened: opened)
            renderer.finish()
            try ReportPrinter.print(report, format: outputOptions.result, terminal: terminal)
            try records.finish(import: report)
            if let first = report.errors.first {
                for failure in report.failures { terminal.err("ferry: error: \(failure.image): \(failure.error)\n") }
                throw ExitCode(ErrorReporter.code(for: first))
            }
        } catch {
            // ExitCode: failures with --keep-going, already in the result file.
            if !(error is ExitCode) {
                records.fail("import", error: error, images: [], fallback: input, logger: logger, terminal: terminal)
            }
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}
