import ArgumentParser
import FerryCore
import FerryInputs
import FerryOperations
import FerryRegistry
import Foundation
import Logging

/// `ferry sync -f FILE`: the registry-to-registry migrations users describe in image-syncer or
/// skopeo sync files (or a plain list with --to), through `ferry copy`'s engine.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Copy every image an images file names, registry to registry.",
        discussion: """
        FILE is recognised by content (formats/sync-files): an image-syncer/SWR images.json or \
        images.yaml (source → destination rules: all tags, tag lists, /regex/, digests, several \
        destinations), a skopeo sync YAML (images, images-by-tag-regex, images-by-semver, \
        credentials, tls-verify, cert-dir), or a plain image list. --to REGISTRY[/NAMESPACE] is \
        the destination of rules without one (image-syncer's default --registry/--namespace, \
        skopeo sync's destination) and of every image of a plain list (its repository path kept \
        under the namespace, as import --to does).

        Every image is copied as `ferry copy` does: streamed, verified, existing blobs skipped, \
        manifests after their blobs, tags last; a second run sends nothing.

        Examples:
          ferry sync -f images.json --auth-syncer auth.json
          ferry sync -f sync.yaml --to harbor.local/mirror --dry-run
          ferry sync -f images.txt --to registry.local:5000/mirror --jobs 8
        """
    )

    @Option(name: [.customShort("f"), .customLong("images-file")], help: ArgumentHelp("images.json|yaml, skopeo sync YAML or an image list; - for stdin.", valueName: "file"))
    var imagesFile: String

    @Option(name: .customLong("to"), help: ArgumentHelp("Destination for rules without one, and for plain lists.", valueName: "registry[/namespace]"))
    var destination: String?

    @Option(name: .customLong("registry"), help: ArgumentHelp("image-syncer's default registry: the same as --to REGISTRY (with --namespace: --to REGISTRY/NAMESPACE).", valueName: "registry"))
    var defaultRegistry: String?

    @Option(name: .customLong("namespace"), help: ArgumentHelp("image-syncer's default namespace, with --registry.", valueName: "namespace"))
    var defaultNamespace: String?

    @OptionGroup var copying: CopyRunOptions
    @OptionGroup var sides: SideCredentialOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let file = try ExportInputFile.load(path: imagesFile)
            let destination = try self.destinationText()
            let mapper = try destination.map { try DestinationMapper(to: $0) }
            guard file.hasRules || mapper != nil else {
                throw ValidationError("a plain image list needs --to REGISTRY[/NAMESPACE]: it names no destinations")
            }
            let registries = Set(file.references.map(\.registry)).union(file.registries).union(mapper.map { [$0.registry] } ?? [])
            let sources = Set(file.references.map(\.registry)).union(file.registries)
            var destinations = Set(mapper.map { [$0.registry] } ?? [])
            for rule in file.rules {
                for case .repository(let name, _) in rule.destinations { destinations.insert(name.registry) }
                for case .pinned(let name, _) in rule.destinations { destinations.insert(name.registry) }
            }
            let fileSettings = try file.settings.adding(syncerAuth: registry.authSyncer)
            let credentials = ChainedCredentials(try sides.providers(sources: sources, destinations: destinations)
                                                 + [try registry.credentials(registries: registries, fileProviders: fileSettings.providers)])
            let client = try registry.makeClient(registries: registries, jobs: copying.jobs * 2, logger: logger,
                                                 credentials: credentials, fileSettings: file.settings)
            var requests: [CopyRequest] = []
            if file.hasRules {
                let defaults = try destination.map(Self.defaults)
                let selections = try await RuleResolver(lister: client, defaults: defaults).resolve(file.rules, source: file.source, requireDestinations: true)
                for selection in selections {
                    if !outputOptions.quiet { terminal.err("ferry: \(file.source): \(ExportInputFile.summary(selection))\n") }
                    requests += selection.mappings.map { CopyRequest(source: $0.source, destinations: $0.destinations) }
                }
            } else if let mapper {
                requests = try file.references.map { CopyRequest(source: $0, destinations: [try mapper.destination(for: $0)]) }
            }
            let options = try copying.options(requests)
            var report = try await CopyCommand.copy(options, client: client, terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            report.input = "sync \(file.source)"
            try CopyCommand.finish(report, format: outputOptions.result, terminal: terminal)
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }

    /// `--to`, or `--registry` and `--namespace` (not both ways at once).
    func destinationText() throws -> String? {
        if defaultNamespace != nil && defaultRegistry == nil { throw ValidationError("--namespace needs --registry") }
        guard let defaultRegistry else { return destination }
        guard destination == nil else { throw ValidationError("give --to or --registry/--namespace, not both") }
        return defaultNamespace.map { "\(defaultRegistry)/\($0)" } ?? defaultRegistry
    }

    /// `registry[/namespace]` as image-syncer's default registry and namespace.
    static func defaults(_ text: String) throws -> DestinationDefaults {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let host = parts.first, !host.isEmpty else { throw ValidationError("--to needs a registry host") }
        return DestinationDefaults(registry: host, namespace: parts.count > 1 ? parts[1] : "")
    }
}
