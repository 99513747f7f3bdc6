import ArgumentParser
import FerryCore
import FerryMirrors
import FerryOperations
import Foundation

/// `ferry mirror-config`: what makes clusters pull the original names from the isolated registry.
struct MirrorConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror-config",
        abstract: "Write the client configuration that makes clusters pull a bundle's original image names from the isolated registry.",
        discussion: """
        After `ferry import`, Pod specs and compose files still name docker.io/library/nginx. \
        From the bundle and the import's naming options (the same --flatten, --map, --include, \
        -f … as the import), this writes under DIR:
          registries.conf.d/ferry-mirror.conf   podman, CRI-O, buildah, skopeo (containers-registries.conf v2)
          certs.d/<registry>/hosts.toml         containerd 1.5+ (config_path) and ctr --hosts-dir
          k3s/registries.yaml                   k3s and RKE2 (mirrors and rewrites)
          openshift/image-digest-mirror-set.yaml, image-tag-mirror-set.yaml
        Nothing is sent anywhere. containerd can only add a path prefix: a registry whose \
        repositories were flattened or renamed gets no hosts.toml (a note says so). \
        Spec: formats/mirror-config/SPEC.md.

        Examples:
          ferry mirror-config site-a.tar --registry registry.dc2.local:5000/mirror -o mirror-config/
          ferry mirror-config site-a.tar --registry 10.0.0.5:5000 --flatten 1 --insecure -o cfg/
        """
    )

    @Argument(help: ArgumentHelp("The bundle that was imported.", valueName: "input"))
    var input: String

    @Option(name: .customLong("registry"), help: ArgumentHelp("The isolated registry, with the prefix the import used (as its --to).", valueName: "registry[/prefix]"))
    var targetRegistry: String

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Directory to write the files into (created; files already there are replaced).", valueName: "dir"))
    var output: String

    @Flag(name: .customLong("insecure"), help: "The isolated registry speaks plain HTTP (or TLS without a trusted certificate).")
    var insecure = false

    @OptionGroup(title: "Naming (as for import)") var naming: ImportNamingOptions
    @OptionGroup var outputOptions: OutputOptions

    struct Result: Encodable {
        var files: [String]
        var notes: [String]
        var repositories: Int
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let (options, opened, _) = try await naming.resolve(input: ExportCommand.absolute(input), destination: targetRegistry,
                                                                terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            let map = try await MirrorPlanner.map(options, opened: opened)
            let (files, notes) = MirrorConfig.files(map, access: MirrorAccess(insecure: insecure), origin: String(input.split(separator: "/").last ?? ""))
            let directory = ExportCommand.absolute(output)
            var written: [String] = []
            for file in files {
                let path = directory + "/" + file.path
                try FileSystem.makeDirectories(FileSystem.directoryName(path))
                try FileSystem.writeAtomically(Array(file.text.utf8), to: path)
                written.append(path)
            }
            if !outputOptions.quiet { for note in notes { terminal.err("ferry: warning: \(note)\n") } }
            switch outputOptions.result {
            case .json?: try ReportPrinter.json(Result(files: written, notes: notes, repositories: map.mappings.count), terminal: terminal)
            case .text?: terminal.out((written + ["", "\(map.mappings.count) repositories of \(map.sourceRegistries.count) registries mirrored"]).joined(separator: "\n") + "\n")
            case nil: break
            }
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}
