import ArgumentParser
import FerryCore
import FerryOperations
import FerryRegistry
import Foundation
import Logging

/// `ferry copy SRC DST`: registry to registry, for when a route exists.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy images from one registry to another, streaming, with no local disk.",
        discussion: """
        The same engine as export and import, without the bundle in between: the source image \
        is resolved (all platforms, or --platform), then every layer streams from the source \
        straight into the destination through a small in-memory pipe, hashed on the way; blobs \
        the destination has are skipped, blobs in another of its repositories (or, on the same \
        registry, in the source repository) are mounted; manifests go up only after all their \
        blobs, tags last. Digests never change. Signatures, attestations and SBOMs attached to \
        the image come along (--no-referrers leaves them out).

        DST is a full reference; without a tag it keeps the source's tag.

        Examples:
          ferry copy docker.io/library/nginx:1.27 registry.local:5000/mirror/nginx
          ferry copy quay.io/org/app@sha256:… reg:5000/org/app:pinned --platform linux/amd64
        """
    )

    @Argument(help: ArgumentHelp("Source image reference.", valueName: "source"))
    var sourceReference: String

    @Argument(help: ArgumentHelp("Destination reference; without a tag, the source tag is kept.", valueName: "destination"))
    var destinationReference: String

    @OptionGroup var copying: CopyRunOptions
    @OptionGroup var sides: SideCredentialOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let source = try ImageReference(parsing: sourceReference)
            let destination = try Self.destination(destinationReference)
            let options = try copying.options([CopyRequest(source: source, destinations: [destination])])
            // Each blob copy holds a download and an upload at once: room for twice the jobs.
            let registries: Set<String> = [source.registry, destination.registry]
            let credentials = ChainedCredentials(try sides.providers(sources: [source.registry], destinations: [destination.registry])
                                                 + [try registry.credentials(registries: registries)])
            let client = try registry.makeClient(registries: registries, jobs: copying.jobs * 2, logger: logger, credentials: credentials)
            let report = try await Self.copy(options, client: client, terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            try Self.finish(report, format: outputOptions.result, terminal: terminal)
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }

    /// Runs a copy with one client for both sides (credentials are looked up per registry).
    static func copy(_ options: CopyOptions, client: RegistryClient, terminal: Terminal, quiet: Bool,
                     logger: Logger) async throws -> ImportReport {
        let renderer = ProgressRenderer(terminal: terminal, enabled: !quiet, logger: logger)
        let report = try await Copier(source: RegistrySource(client: client), client: client, progress: renderer.handle).run(options)
        renderer.finish()
        return report
    }

    /// Prints the report; with failures (`--keep-going`), lists them and exits non-zero.
    static func finish(_ report: ImportReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        try ReportPrinter.print(report, format: format, terminal: terminal)
        if let first = report.errors.first {
            for failure in report.failures { terminal.err("ferry: error: \(failure.image): \(failure.error)\n") }
            throw ExitCode(ErrorReporter.code(for: first))
        }
    }

    /// A destination reference as typed: one without an explicit tag or digest keeps the
    /// source's (the reference grammar would otherwise default it to `latest`).
    static func destination(_ text: String) throws -> ImageReference {
        let reference = try ImageReference(parsing: text)
        let lastComponent = text.split(separator: "/").last.map(String.init) ?? text
        if !text.contains("@") && !lastComponent.contains(":") { return reference.with(tag: nil, digest: nil) }
        return reference
    }
}
