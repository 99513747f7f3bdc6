import ArgumentParser
import FerryCore
import FerryInputs
import Foundation

/// `ferry discover`: the images Kubernetes manifests use, without a cluster
/// (`formats/sync-files/SPEC.md`, "Kubernetes discovery").
struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List the images that Kubernetes manifests use.",
        discussion: """
        Reads files, directories (recursively: *.yaml, *.yml, *.json) and - for stdin: \
        multi-document YAML, JSON, List and *List kinds (kubectl get -o yaml|json), Helm-rendered \
        output. Takes the images of containers, initContainers and ephemeralContainers of Pods, \
        Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and \
        CronJobs, normalised (nginx → docker.io/library/nginx:latest), de-duplicated and sorted.

        An image string that is not a reference (an unrendered {{ .Values.image }}, a typo) is \
        reported on stderr with its file, document and container; the others are still printed, \
        and ferry exits 65 (0 with --ignore-invalid).

        Examples:
          ferry discover k8s/ > images.txt && ferry export -f images.txt -o site-a.tar
          helm template shop ./chart | ferry discover - --output-format images-json > images.json
          kubectl get pods,cronjobs -A -o yaml | ferry discover -
        """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case list
        case imagesJSON = "images-json"
    }

    @Argument(help: ArgumentHelp("Manifest files or directories; - for stdin.", valueName: "path"))
    var paths: [String]

    @Option(name: .customLong("output-format"), help: "list: one reference per line (an image list for export -f); images-json: an image-syncer images.json sending each image to the default destination.")
    var outputFormat: OutputFormat = .list

    @Flag(name: .customLong("ignore-invalid"), help: "Exit 0 even when some image strings are invalid (they are still reported on stderr).")
    var ignoreInvalid = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one file, directory or - for stdin") }
        guard paths.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (stdin) may be given once") }
    }

    func run() throws {
        let terminal = Terminal()
        do {
            var discovery = KubernetesDiscovery()
            for path in paths {
                if path == "-" {
                    let text = try InputText.decode(FileHandle.standardInput.readDataToEndOfFile(), source: "stdin")
                    discovery.scan(text: text, source: "stdin")
                } else {
                    try discovery.scan(paths: [path])
                }
            }
            switch outputFormat {
            case .list:
                terminal.out(discovery.references.map { "\($0)\n" }.joined())
            case .imagesJSON:
                terminal.out(SyncerImagesFile.render(discovery.references))
            }
            for problem in discovery.problems {
                terminal.err("ferry: \(ignoreInvalid ? "warning" : "error"): \(problem)\n")
            }
            if discovery.references.isEmpty && discovery.problems.isEmpty {
                terminal.err("ferry: warning: no workload images found in \(paths.joined(separator: " "))\n")
            }
            if !discovery.problems.isEmpty && !ignoreInvalid {
                throw ExitCode(65)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}
