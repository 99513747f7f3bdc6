import ArgumentParser
import FerryArchive
import FerryArtifacts
import FerryCore
import FerryFormat
import FerryOperations
import FerryPlan
import FerryRegistry
import Foundation
import Logging

/// `ferry export`: images from registries into one bundle.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Pull images from registries into one portable bundle.",
        discussion: """
        The bundle (-o FILE) is one uncompressed tar that is at the same time an OCI image layout, \
        a docker-archive (manifest.json) and a ferry bundle with a content index \
        (formats/ferry-bundle/SPEC.md). Every distinct blob is stored once. Every byte is checked \
        against its digest as it arrives; digests never change.

        The output appears under its name only when complete. A killed export leaves \
        .NAME.ferry-partial beside it; running the same export again reuses what it verified.

        With -o DIR/ (trailing slash) or --layout, ferry writes an OCI layout directory instead, \
        adding to one that exists.

        Platforms: all by default. --platform once: the image becomes that platform's own \
        manifest (digest unchanged). --platform several times: a new index of just those \
        (ferry warns, because that index's digest differs from the registry's).

        At the end ferry prints the SHA-256 of the content index; record it out of band to \
        prove later that the bundle is the one you made.

        Examples:
          ferry export docker.io/library/nginx:1.27 quay.io/org/app@sha256:… -o site-a.tar
          ferry export -f images.txt -o site-a.tar --platform linux/amd64 --jobs 8
          ferry export -f images.json --auth-syncer auth.json -o site-a.tar
          ferry export --plan plan.json --shard 2/4 -o shard-2.tar
          ferry export nginx:1.27 --chart https://charts.example.com/stable/web@^2.1 --chart-images \\
                       --file ./installer.run --file ./tools=tools/kit:1.4 -o site-a.tar
        """
    )

    @Argument(help: ArgumentHelp("Image references (docker grammar: nginx, host:port/ns/repo:tag, repo@sha256:…).", valueName: "image"))
    var images: [String] = []

    @Option(name: .customLong("chart"), help: ArgumentHelp("A Helm chart from a classic chart repository: the repository URL, the chart name and optionally @VERSION or @RANGE (`^1.2`, `>=1.0 <2`; default: the newest release). Repeatable. It is checked against the digest index.yaml lists and stored as `helm push` stores it, under HOST/PATH/NAME:VERSION (+ as _), so after `ferry import` `helm install oci://REGISTRY/PATH/NAME --version VERSION` finds it. Credentials, TLS and --insecure-registry work as for a registry on that host. OCI charts (oci://…) are ordinary references.", valueName: "https://HOST/PATH/NAME[@VERSION]"))
    var charts: [String] = []

    @Flag(name: .customLong("chart-deps"), help: "Also bring the charts each --chart depends on (Chart.yaml dependencies from chart repositories or OCI registries, at the highest version their range allows), and theirs in turn. Vendored ones (file://) are inside the chart already; @name repositories from a helm configuration are reported, not guessed.")
    var chartDeps = false

    @Flag(name: .customLong("chart-images"), help: "Also bring the images each --chart names without rendering: its artifacthub.io/images annotation and the literal images of templates that hold no {{ }} actions. Templates that need rendering are listed with the `helm template … | ferry discover -` command that finds their images.")
    var chartImages = false

    @Option(name: .customLong("file"), help: ArgumentHelp("A plain file to carry (an installer, a binary, a key) as an ORAS-style artifact: one layer with the file's bytes, its name as org.opencontainers.image.title and its mode as dev.ferry.file.mode. NAME defaults to files/<file name> under localhost/, TAG to latest. Repeatable. After import, `oras pull` fetches it; `ferry extract` writes it out of the bundle with no registry.", valueName: "PATH[=NAME[:TAG]]"))
    var files: [String] = []

    @Option(name: [.customShort("f"), .customLong("images-file")], help: ArgumentHelp("Images file, recognised by content: an image list (one reference per line, # comments), an image-syncer/SWR images.json|yaml or a skopeo sync YAML (formats/sync-files); - for stdin.", valueName: "file"))
    var imagesFile: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Bundle file to write, or a directory (trailing /) for an OCI layout.", valueName: "path"))
    var output: String

    @Flag(name: .customLong("layout"), help: "Write an OCI layout directory at --output instead of a bundle tar.")
    var layout = false

    @Option(name: .customLong("platform"), help: ArgumentHelp("Platform to keep, os/arch[/variant]. Repeatable. Default: all.", valueName: "os/arch[/variant]"))
    var platforms: [String] = []

    @Option(name: [.customShort("j"), .customLong("jobs"), .customLong("proc")], help: "Blobs transferred in parallel (--proc: image-syncer's name).")
    var jobs: Int = 8

    @Option(name: .customLong("bundle-format"),
            help: ArgumentHelp("ferry (OCI layout + docker-archive + content index, the default), oci-archive (OCI layout only) or docker-archive (docker save shape only; single-platform images).", valueName: "format"))
    var bundleFormat: String = BundleFormat.ferry.rawValue

    @Option(name: .customLong("compress"), help: ArgumentHelp("Compress the whole bundle: zstd (multi-threaded) or gzip. Default: uncompressed, because layers are compressed already and one flipped bit in a compressed stream makes the rest of it unreadable; verify and import read compressed bundles.", valueName: "zstd|gzip"))
    var compress: String?

    @Option(name: .customLong("compress-level"), help: "Compression level (gzip 1-9, zstd 1-19).")
    var compressLevel: Int?

    @Flag(name: .customLong("no-referrers"), help: "Leave out what is attached to the images. By default export also brings cosign-style signature, attestation and SBOM tags (sha256-<hex>.sig/.att/.sbom) and OCI 1.1 referrers (referrers API, or the sha256-<hex> fallback tag), linked to their subject with a dev.ferry.subject annotation; import pushes them after their subjects.")
    var noReferrers = false

    @Option(name: .customLong("since"), help: ArgumentHelp("Make an incremental bundle: leave out every config and layer that this earlier bundle (or its ferry-index.json alone) carried or relied on, and record it as the base. Repeatable. Import needs the bases' images in the target first; verify --base checks the chain.", valueName: "bundle"))
    var since: [String] = []

    @Option(name: .customLong("split-size"), help: ArgumentHelp("Cut the bundle into parts strictly below SIZE for limited media: OUTPUT.part-000, -001, … plus OUTPUT.parts.json (sizes, SHA-256, which blobs are in which part) and OUTPUT.SHA256SUMS for `sha256sum -c`. K/M/G/T are powers of 1000 as media are labelled (4.7G fits a DVD), Ki/Mi/Gi/Ti powers of 1024; `fat32` means parts of at most 4 GiB − 1 byte. import, verify and inspect take any part and read across them; `cat OUTPUT.part-* > OUTPUT` joins them into the ordinary bundle.", valueName: "size"))
    var splitSize: String?

    @Option(name: .customLong("sign-key"), help: ArgumentHelp("Sign the content index with this private key (PEM, from `ferry key generate`): a ferry-index.json.sig member and an OUTPUT.sig sidecar. ferry bundle format only.", valueName: "key.pem"))
    var signKey: String?

    @Flag(name: .customLong("dry-run"), help: "Resolve the images and plan the bundle, then print the images, platforms, distinct blobs, the space the output needs and the space its file system has; fetch and write nothing.")
    var dryRun = false

    @Flag(name: .customLong("force"), help: "Start even when the output's file system has less free space than the bundle needs (export checks before fetching anything).")
    var force = false

    @Option(name: .customLong("plan"), help: ArgumentHelp("Export one shard of this plan (from `ferry plan`): its images by their pinned digests, even if a tag has moved since, with the plan's platforms and attachments and its time as the bundle's `created`, so every run gives the same bytes. Needs --shard; takes no references, -f or --platform.", valueName: "plan.json"))
    var plan: String?

    @Option(name: .customLong("shard"), help: ArgumentHelp("Which shard of --plan: i/N (counted from 0), or auto to take it from SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) or JOB_COMPLETION_INDEX.", valueName: "i/N|auto"))
    var shard: String?

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var records: RunRecordOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard !output.isEmpty else { throw ValidationError("--output must not be empty") }
        guard (plan == nil) == (shard == nil) else { throw ValidationError("--plan and --shard go together") }
        if plan != nil {
            guard images.isEmpty, imagesFile == nil, platforms.isEmpty, !noReferrers, charts.isEmpty, files.isEmpty else {
                throw ValidationError("--plan pins the images, platforms and attachments: give no references, -f, --chart, --file, --platform or --no-referrers with it")
            }
        }
        guard BundleFormat(rawValue: bundleFormat) != nil else {
            throw ValidationError("--bundle-format must be ferry, oci-archive or docker-archive")
        }
        if let compress {
            guard StreamCompressor.Kind(rawValue: compress) != nil else { throw ValidationError("--compress must be zstd or gzip") }
            guard !layout, !output.hasSuffix("/") else { throw ValidationError("--compress applies to bundle files, not layout directories") }
        }
        if let compressLevel, compress == nil || !(1...19).contains(compressLevel) {
            throw ValidationError("--compress-level needs --compress and a level from 1 to 19")
        }
        if !since.isEmpty {
            guard bundleFormat == BundleFormat.ferry.rawValue, !layout, !output.hasSuffix("/") else {
                throw ValidationError("--since makes an incremental ferry bundle; other formats and layouts cannot record their base")
            }
        }
        if let splitSize {
            guard SplitSize.parse(splitSize) != nil else {
                throw ValidationError("--split-size must be a size of at least \(SplitSize.minimum) bytes (e.g. 4G, 700M, 4.7G, 2GiB) or fat32")
            }
            guard !layout, !output.hasSuffix("/") else { throw ValidationError("--split-size applies to bundle files, not layout directories") }
            guard compress == nil else { throw ValidationError("--split-size and --compress cannot be combined: parts are read in place, a compressed stream cannot be") }
        }
        if signKey != nil {
            guard bundleFormat == BundleFormat.ferry.rawValue, !layout, !output.hasSuffix("/") else {
                throw ValidationError("--sign-key signs a ferry bundle's content index; other formats and layouts have none")
            }
        }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = records.makeLogger(level: outputOptions.logLevel, terminal: terminal)
        var requested: [ImageReference] = []  // for --result when the run fails
        do {
            // All input is parsed before any network traffic.
            var references = try images.map { try ImageReference(parsing: $0) }
            var chartRequests = try charts.filter { !$0.hasPrefix("oci://") }.map { try ChartRequest(parsing: $0) }
            references += try charts.filter { $0.hasPrefix("oci://") }.map { try ImageReference(parsing: Self.ociChart($0)) }
            var fileRequests = try files.map { try FileRequest(parsing: $0) }
            // -f: a plain list, an image-syncer images file or a skopeo sync file (ExportCommand+InputFiles).
            let inputFile = try imagesFile.map { try ExportInputFile.load(path: $0) }
            if let listed = try inputFile?.artifactRequests() {
                references += listed.references
                chartRequests += listed.charts
                fileRequests += listed.files
            }
            let planShard = try plan.map { try Self.loadShard(plan: $0, shard: shard ?? "") }
            guard planShard != nil || !references.isEmpty || !chartRequests.isEmpty || !fileRequests.isEmpty || inputFile?.hasRules == true || inputFile?.references.isEmpty == false else {
                throw ValidationError("no images given: pass references or -f FILE")
            }
            if let planShard {
                references = try planShard.plan.images(inShard: planShard.selection.index).map { try ImageReference(parsing: $0.reference) }
            }
            let platforms = try self.platforms.map { try Platform(parsing: $0) }
            let asLayout = layout || output.hasSuffix("/")
            let created = Self.creationDate()
            let signingKey = try signKey.map { try KeyFiles.privateKey($0) }
            let chartHosts = chartRequests.compactMap { RegistryClient.webHost($0.repository) }
            let client = try registry.makeClient(registries: Set((references + (inputFile?.references ?? [])).map(\.registry)).union(inputFile?.registries ?? []).union(chartHosts),
                                                 jobs: jobs, logger: logger, fileSettings: inputFile?.settings ?? InputRegistrySettings())
            var intended: [String: [ImageReference]] = [:]
            if let inputFile {
                (references, intended) = try await inputFile.expand(adding: references, client: client, terminal: terminal,
                                                                    quiet: outputOptions.quiet, logger: logger)
                guard !references.isEmpty || !chartRequests.isEmpty || !fileRequests.isEmpty else {
                    throw InputError.file(path: inputFile.source, reason: "the rules selected no images")
                }
            }
            // Directories given to --file are packed here; removed when the run ends, however.
            let scratch = FileSystem.newScratch("files")
            defer { FileSystem.removeScratch(scratch) }
            let artifacts = try await prepareArtifacts(charts: chartRequests, files: fileRequests, client: client, scratch: scratch,
                                                       terminal: terminal, logger: logger)
            references += artifacts.references
            requested = references
            let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
            let source = artifacts.source
            let exporter = Exporter(source: source, progress: renderer.handle)
            let outputPath = Self.absolute(output)
            var options = ExportOptions(
                references: references,
                output: asLayout ? .layout(outputPath)
                    : (BundleFormat(rawValue: bundleFormat).map { $0 == .ferry ? .bundle(outputPath) : .archive(outputPath, $0) } ?? .bundle(outputPath)),
                platforms: platforms, jobs: jobs, created: created)
            options.signingKey = signingKey
            options.shard = planShard
            options.split = splitSize.flatMap(SplitSize.parse)
            options.intendedDestinations = intended
            options.referrers = !noReferrers
            options.dryRun = dryRun
            options.force = force
            if !since.isEmpty { options.since = try BaseBundles.load(since.map(Self.absolute)) }
            options.compression = compress.flatMap { StreamCompressor.Kind(rawValue: $0) }.map { (kind: $0, level: compressLevel) }
            if let kind = options.compression?.kind, !outputOptions.quiet, !outputPath.hasSuffix(Self.expectedSuffix(kind)) {
                // A compressed stream under a plain .tar name fools `tar -tf` and loaders alike.
                terminal.err("ferry: warning: \(output) will be a \(kind.rawValue) stream, not a plain tar; a name ending in \(Self.expectedSuffix(kind)) says so (ferry import and verify read it either way)\n")
            }
            if options.compression == nil, !outputOptions.quiet, case .bundle = options.output,
               let kind = StreamCompressor.Kind.allCases.first(where: { outputPath.hasSuffix(Self.expectedSuffix($0)) || outputPath.hasSuffix(".tgz") && $0 == .gzip }) {
                // The other way round: a name that promises compression over a plain tar.
                terminal.err("ferry: warning: \(output) will be a plain tar, though its name says \(kind.rawValue); add --compress \(kind.rawValue) to compress it (ferry reads it either way)\n")
            }
            let report = try await exporter.run(options)
            renderer.finish()
            try ReportPrinter.print(report, format: outputOptions.result, terminal: terminal)
            try records.finish(export: report)
        } catch {
            records.fail("export", error: error, images: requested.map(\.description), fallback: imagesFile ?? images.joined(separator: " "),
                         logger: logger, terminal: terminal)
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }

    /// The shard of `--plan` that `--shard` (or, with `auto`, the environment) names.
    static func loadShard(plan path: String, shard text: String) throws -> PlanShard {
        let (plan, digest) = try MigrationPlan.load(absolute(path))
        let selection = try ShardSelection.parse(text, planShards: plan.shards.count, environment: ProcessInfo.processInfo.environment)
        return PlanShard(plan: plan, digest: digest, selection: selection)
    }

    /// `SOURCE_DATE_EPOCH` makes the content index's `created` reproducible.
    static func creationDate() -> Date {
        if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = TimeInterval(text) {
            return Date(timeIntervalSince1970: seconds)
        }
        return Date()
    }

    /// `oci://HOST/PATH/NAME:VERSION` (how Helm names an OCI chart) is an ordinary reference,
    /// its version a tag with `+` as `_` (Helm's rule).
    static func ociChart(_ text: String) -> String {
        let name = String(text.dropFirst("oci://".count))
        guard let colon = name.lastIndex(of: ":"), let slash = name.lastIndex(of: "/"), colon > slash else { return name }
        return String(name[...colon]) + HelmChartArtifact.tag(forVersion: String(name[name.index(after: colon)...]))
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}

extension ExportCommand {
    /// The file name ending that says what a compressed bundle is (`.tar.zst`, `.tar.gz`).
    static func expectedSuffix(_ kind: StreamCompressor.Kind) -> String {
        switch kind {
        case .zstd: return ".tar.zst"
        case .gzip: return ".tar.gz"
        }
    }
}
