import ArgumentParser
import FerryCore
import FerryOperations
import FerryPlan
import Foundation

/// `ferry inspect`: what is in a bundle, or in a registry image.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the images of a bundle (or a registry image).",
        discussion: """
        For a bundle, oci-archive, docker-archive or OCI layout directory: every image with its \
        platforms, digest, size and the bytes it shares with other images, and what the shared \
        blob pool saves. Reads the input only (no network); manifests are checked on the way.

        For a plan (from `ferry plan`): its shards, their images and bytes, the bytes stored in \
        more than one shard, and its SHA-256.

        For docker://REFERENCE: digest, media type, platforms of an index, or the created date, \
        platform, labels and layers of an image; --tags lists the repository's tags.

        Examples:
          ferry inspect site-a.tar
          ferry inspect docker://registry:5000/app:1.2 --tags --format json
        """
    )

    @Argument(help: ArgumentHelp("A bundle or layout path, a plan file, or docker://REFERENCE.", valueName: "target"))
    var target: String

    @Flag(name: .customLong("tags"), help: "For docker:// references: also list the repository's tags.")
    var tags = false

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            if target.hasPrefix("docker://") {
                let reference = try ImageReference(parsing: String(target.dropFirst("docker://".count)))
                let client = try registry.makeClient(registries: [reference.registry], jobs: 1, logger: logger)
                let report = try await Inspector.inspect(reference: reference, client: client, tags: tags)
                try ReportPrinter.print(report, format: outputOptions.result, terminal: terminal)
            } else if let plan = try Self.plan(at: ExportCommand.absolute(target)) {
                let figures = plan.plan.figures()
                try PlanSummary.print(PlanSummary(plan: plan.plan, path: ExportCommand.absolute(target), digest: plan.digest,
                                                  spread: figures.spread, repositoryHash: figures.repositoryHash),
                                      format: outputOptions.result, terminal: terminal)
            } else {
                let report = try await Inspector.inspect(path: ExportCommand.absolute(target))
                try ReportPrinter.print(report, format: outputOptions.result, terminal: terminal)
            }
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}

extension InspectCommand {
    /// The plan at `path`, when it is a JSON file whose `mediaType` is a plan's (a bundle,
    /// archive or layout is not JSON; a split bundle's part index is JSON of another type and
    /// is inspected as the bundle); nil for anything else.
    static func plan(at path: String) throws -> (plan: MigrationPlan, digest: Digest)? {
        guard !FileSystem.isDirectory(path), let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try handle.read(upToCount: 64)) ?? Data()
        guard head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") else { return nil }
        struct Probe: Decodable { var mediaType: String? }
        guard (FileSystem.fileSize(path) ?? 0) <= 1 << 30, let data = FileManager.default.contents(atPath: path),
              (try? JSONDecoder().decode(Probe.self, from: data))?.mediaType == MigrationPlan.mediaType else { return nil }
        return try MigrationPlan.identified(Array(data), path: path)
    }
}

extension ReportPrinter {
    static func print(_ report: BundleInspectionReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        guard format == .text else { return try json(report, terminal: terminal) }
        var table = TextTable(header: ["IMAGE", "PLATFORMS", "DIGEST", "SIZE", "SHARED"])
        for image in report.images {
            table.add([image.name, image.platforms.isEmpty ? "-" : image.platforms.joined(separator: ","),
                       image.digest.isEmpty ? "-" : image.digest, ByteCount.format(image.size), ByteCount.format(image.sharedBytes)])
        }
        var lines = table.lines
        for digest in report.unnamed { lines.append("(unnamed entry \(digest))") }
        let charts = report.images.compactMap { image in image.chart.map { (image.name, $0) } }
        if !charts.isEmpty {
            lines.append("")
            var chartTable = TextTable(header: ["CHART", "NAME", "VERSION", "APP VERSION"])
            for (name, chart) in charts { chartTable.add([name, chart.name, chart.version, chart.appVersion ?? "-"]) }
            lines += chartTable.lines
        }
        let files = report.images.flatMap { image in (image.files ?? []).map { (image.name, $0) } }
        if !files.isEmpty {
            lines.append("")
            var fileTable = TextTable(header: ["FILE ARTIFACT", "FILE", "SIZE"])
            for (name, file) in files { fileTable.add([name, file.name, ByteCount.format(file.size)]) }
            lines += fileTable.lines
        }
        lines.append("")
        lines.append("\(report.input): \(report.kind), \(report.images.count) images, \(report.blobs) distinct blobs, \(ByteCount.format(report.uniqueBytes))\(Self.sharing(stored: report.uniqueBytes, saved: report.dedupSavedBytes))")
        if let digest = report.contentIndexDigest { lines.append("content index: \(digest)") }
        for loader in report.loaders {
            let kept = loader.digestsKept ? "digests kept" : "new digests"
            lines.append("\(loader.tool): \(loader.images) of \(loader.of) images, \(loader.side == "oci" ? "OCI" : "Docker") side, \(kept)\(loader.note.map { "; " + $0 } ?? "")")
        }
        if let bases = report.baseBundles {
            lines.append("incremental: \(report.blobsFromBase ?? 0) blobs (\(ByteCount.format(report.bytesFromBase ?? 0))) are left to base bundle(s) \(bases.joined(separator: ", ")); import those first")
        }
        terminal.out(lines.joined(separator: "\n") + "\n")
    }

    static func print(_ report: RegistryInspectionReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        guard format == .text else { return try json(report, terminal: terminal) }
        var lines = ["Name: \(report.name)", "Digest: \(report.digest)", "MediaType: \(report.mediaType)"]
        if let tags = report.tags { lines.append("Tags: \(tags.joined(separator: ", "))") }
        for child in report.platforms ?? [] { lines.append("  \(child.platform ?? "(no platform)")  \(child.digest)  \(ByteCount.format(child.size))") }
        if let created = report.created { lines.append("Created: \(created)") }
        if let os = report.os, let architecture = report.architecture {
            lines.append("Platform: \([os, architecture, report.variant].compactMap { $0 }.joined(separator: "/"))")
        }
        for (key, value) in (report.labels ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("Label: \(key)=\(value)") }
        for layer in report.layers ?? [] { lines.append("Layer: \(layer.digest)  \(ByteCount.format(layer.size))") }
        terminal.out(lines.joined(separator: "\n") + "\n")
    }
}
