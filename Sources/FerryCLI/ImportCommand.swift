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
        Running the same import again sends nothing. For a ferry bundle, an import journal \
        (ferry-import-<content index>.journal, beside the bundle or in --state-dir) lists every \
        image that went through, target included; a rerun after a kill (or after failures with \
        --keep-going) skips those without asking the registry, which matters for shards of \
        thousands of images. An import that finishes removes its journal.

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

    @OptionGroup var naming: ImportNamingOptions

    @Flag(name: .customLong("keep-going"), help: "Go on with the other images when one fails; report every failure at the end (exit non-zero).")
    var keepGoing = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Keep the import journal in this directory (created if missing) instead of beside the bundle: for bundles on read-only media, or one shared state directory per site.", valueName: "dir"))
    var stateDirectory: String?

    @Flag(name: .customLong("no-journal"), help: "Keep no import journal: a rerun asks the registry about every image again (and still sends only what is missing).")
    var noJournal = false

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
        guard destination != nil || naming.imagesFile != nil else { throw ValidationError("give --to REGISTRY[/PREFIX] or -f IMAGES-FILE") }
        guard LayerCompression(rawValue: layerCompression) != nil else {
            throw ValidationError("--layer-compression must be gzip, zstd or none")
        }
        guard !(noJournal && stateDirectory != nil) else { throw ValidationError("--state-dir and --no-journal contradict each other") }
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
            let (named, opened, targets) = try await naming.resolve(input: ExportCommand.absolute(input), destination: destination,
                                                                    terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            let client = try registry.makeClient(registries: targets, jobs: jobs, logger: logger)
            let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
            let importer = Importer(client: client, progress: renderer.handle)
            var options = named
            options.dryRun = dryRun
            options.jobs = jobs
            options.chunkSize = chunk
            options.layerCompression = LayerCompression(rawValue: layerCompression) ?? .gzip
            options.keepGoing = keepGoing
            if !noJournal && !dryRun {
                if let stateDirectory {
                    let directory = ExportCommand.absolute(stateDirectory)
                    do {
                        try FileSystem.makeDirectories(directory)
                    } catch {
                        throw FerryOperationsError.output(path: directory, reason: "--state-dir: cannot create it: \(error)")
                    }
                    options.journalDirectory = directory
                } else {
                    options.journalDirectory = FileSystem.directoryName(ExportCommand.absolute(input))
                }
            }
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
