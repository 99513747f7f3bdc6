import ArgumentParser
import FerryCore
import FerryOperations
import FerryPlan
import FerryRegistry
import Foundation

/// `ferry plan`: pin a list of images by digest and spread it over shards (issue 18).
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Pin images by digest and spread them over shards for many machines.",
        discussion: """
        Resolves every reference (arguments and -f files, all the kinds export takes) to a \
        manifest digest, reads manifests and configs only (no layer bytes), and writes a plan \
        (formats/plan/SPEC.md): each image pinned by digest with its manifests and blobs, and \
        assigned to one of --shards shards. Attachments (signatures, SBOMs, referrers) are pinned \
        too and always share their image's shard.

        Images that share a blob of at least --group-min-size (a base layer) are kept in one \
        shard where they fit; groups are packed largest first by the bytes they add, and a group \
        too big for one shard is split by repository, then by image. stdout shows every shard's \
        images and bytes, the bytes stored in more than one shard, and the same figures for a \
        split by repository-name hash; then the plan's SHA-256, its identity.

        Then run `ferry export --plan PLAN --shard i/N` for each shard (a Slurm array task or \
        Kubernetes Indexed Job pod each: --shard auto), carry and import each bundle, and check \
        the target with `ferry verify --plan PLAN --registry HOST[/PREFIX]`. The same plan and \
        shard give byte-identical bundles on any machine.

        Examples:
          ferry plan -f images.txt --shards 4 -o plan.json
          ferry plan -f team-a.txt -f team-b.yaml --platform linux/amd64 --shards 16 -o plan.json
        """
    )

    @Argument(help: ArgumentHelp("Image references.", valueName: "image"))
    var images: [String] = []

    @Option(name: [.customShort("f"), .customLong("images-file")], help: ArgumentHelp("Images file as for export (an image list, an image-syncer images.json|yaml, a skopeo sync YAML). Repeatable.", valueName: "file"))
    var imagesFiles: [String] = []

    @Option(name: .customLong("shards"), help: ArgumentHelp("How many shards (1 to 4096, at most one per image).", valueName: "N"))
    var shards: Int

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The plan file to write.", valueName: "plan.json"))
    var output: String

    @Option(name: .customLong("platform"), help: ArgumentHelp("Platform to keep, os/arch[/variant], as for export; recorded in the plan and applied by every shard's export. Repeatable. Default: all.", valueName: "os/arch[/variant]"))
    var platforms: [String] = []

    @Option(name: .customLong("group-min-size"), help: ArgumentHelp("Images sharing a blob at least this large are kept in one shard where they fit (K, M, G; default 1Mi).", valueName: "size"))
    var groupMinSize: String = "1Mi"

    @Flag(name: .customLong("no-referrers"), help: "Do not look for attachments (signatures, attestations, SBOMs, referrers).")
    var noReferrers = false

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Manifests and configs fetched in parallel.")
    var jobs: Int = 8

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard (1...4096).contains(shards) else { throw ValidationError("--shards must be between 1 and 4096") }
        guard !output.isEmpty else { throw ValidationError("--output must not be empty") }
        guard ByteCount.parse(groupMinSize) != nil else { throw ValidationError("--group-min-size must be a size such as 512K, 1Mi or 8M") }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            var references = try images.map { try ImageReference(parsing: $0) }
            let files = try imagesFiles.map { try ExportInputFile.load(path: $0) }
            guard !references.isEmpty || files.contains(where: { $0.hasRules || !$0.references.isEmpty }) else {
                throw ValidationError("no images given: pass references or -f FILE")
            }
            let platforms = try self.platforms.map { try Platform(parsing: $0) }
            var registries = Set(references.map(\.registry))
            for file in files { registries.formUnion(file.references.map(\.registry)); registries.formUnion(file.registries) }
            var settings = InputRegistrySettings()
            for file in files { settings = try settings.merging(file.settings, source: file.source) }
            let client = try registry.makeClient(registries: registries, jobs: jobs, logger: logger, fileSettings: settings)
            for file in files {
                references = try await file.expand(adding: references, client: client, terminal: terminal,
                                                   quiet: outputOptions.quiet, logger: logger).references
            }
            let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
            var options = PlanOptions(references: references, platforms: platforms, shards: shards, jobs: jobs,
                                      created: ExportCommand.creationDate())
            options.referrers = !noReferrers
            options.groupMinSize = ByteCount.parse(groupMinSize) ?? options.groupMinSize
            let result = try await Planner(source: RegistrySource(client: client), progress: renderer.handle).run(options)
            renderer.finish()
            let bytes = try result.plan.encoded()
            let path = ExportCommand.absolute(output)
            do {
                try FileSystem.writeAtomically(bytes, to: path)
            } catch {
                throw FerryOperationsError.output(path: path, reason: "cannot write the plan: \(error)")
            }
            let summary = PlanSummary(plan: result.plan, path: path, digest: DigestHasher.digest(of: bytes),
                                      spread: result.spread, repositoryHash: result.repositoryHash)
            try PlanSummary.print(summary, format: outputOptions.result, terminal: terminal)
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}

/// What `ferry plan` and `ferry inspect PLAN` print: the shards and their balance.
struct PlanSummary: Encodable {
    var plan: String
    var planDigest: String
    var created: String
    var platforms: [String]
    var images: Int
    var attachments: Int
    var blobs: Int
    var spread: SpreadFigures
    var repositoryHash: SpreadFigures

    init(plan: MigrationPlan, path: String, digest: Digest, spread: SpreadFigures, repositoryHash: SpreadFigures) {
        self.plan = path
        planDigest = digest.description
        created = plan.created
        platforms = plan.platforms
        images = plan.images.filter { $0.subject == nil }.count
        attachments = plan.images.count - images
        blobs = plan.blobs.count
        self.spread = spread
        self.repositoryHash = repositoryHash
    }

    static func print(_ summary: PlanSummary, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        guard format == .text else { return try ReportPrinter.json(summary, terminal: terminal) }
        var table = TextTable(header: ["SHARD", "IMAGES", "BYTES", "ALSO IN ANOTHER SHARD"])
        for (index, shard) in summary.spread.shards.enumerated() {
            table.add(["\(index)", "\(shard.images)", ByteCount.format(shard.bytes), ByteCount.format(shard.sharedBytes)])
        }
        var lines = table.lines
        lines.append("")
        lines.append("\(summary.images) image(s) and \(summary.attachments) attachment(s), \(summary.blobs) blobs, \(ByteCount.format(summary.spread.uniqueBytes)) in one bundle")
        lines.append(Self.balance("this plan", summary.spread))
        lines.append(Self.balance("split by repository hash", summary.repositoryHash))
        lines.append("plan \(summary.plan): \(summary.planDigest)")
        terminal.out(lines.joined(separator: "\n") + "\n")
    }

    static func balance(_ label: String, _ figures: SpreadFigures) -> String {
        let share = figures.uniqueBytes > 0 ? Double(figures.bytesInSeveralShards) / Double(figures.uniqueBytes) * 100 : 0
        return "\(label): largest shard \(String(format: "%.2f", figures.maxOverMean))× the mean; \(ByteCount.format(figures.bytesInSeveralShards)) (\(String(format: "%.1f", share)) %) stored in more than one shard"
    }
}
