import FerryArtifacts
import FerryCore
import FerryInputs
import FerryRegistry
import Foundation
import Logging

/// `ferry export -f FILE`: a plain image list, an image-syncer images.json/yaml or a skopeo
/// sync YAML, told apart by content (`formats/sync-files/SPEC.md`, "Recognising a file").
/// Everything is parsed when loading; rules that need a registry's tag list (all tags, regex,
/// semver) are expanded by `expand` once the client exists, before the export starts.
struct ExportInputFile {
    /// Name for messages (`stdin` for `-`).
    let source: String
    /// Images known without asking a registry (a plain list).
    let references: [ImageReference]
    /// Rules still to resolve (images and skopeo files).
    let rules: [SyncRule]
    /// Credentials and TLS settings the file carries (skopeo).
    let settings: InputRegistrySettings
    /// What kind of file it was, for logs.
    let kind: String
    /// A plain list's `chart:` and `file:` lines (issue 20), with their line numbers.
    var charts: [(line: Int, text: String)] = []
    var files: [(line: Int, text: String)] = []
    /// Where a plain list's relative `file:` paths start: the list's own directory.
    var directory: String? = nil

    /// True when the file holds rules (which may select images only after listing tags).
    var hasRules: Bool { !rules.isEmpty }

    /// Registries the rules read from (for `--creds`' one-registry check).
    var registries: Set<String> { Set(rules.map(\.source.registry)) }

    static func load(path: String) throws -> ExportInputFile {
        let source = path == "-" ? "stdin" : path
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw InputError.file(path: path, reason: "cannot read the file")
            }
            data = contents
        }
        do {
            let text = try InputText.decode(data, source: source)
            switch try ImageInputFile.recognise(text: text, source: source) {
            case .plainList(let yamlError):
                do {
                    let entries = try ImageList.parseEntries(text, source: source)
                    var file = ExportInputFile(source: source, references: entries.references, rules: [], settings: InputRegistrySettings(), kind: "image list")
                    file.charts = entries.charts
                    file.files = entries.files
                    if path != "-" { file.directory = URL(fileURLWithPath: path).standardized.deletingLastPathComponent().path }
                    return file
                } catch {
                    // A file meant as YAML that does not parse shows both readings.
                    let hint = yamlError.map { ["(read as an image list because it is not YAML: \($0.description))"] } ?? []
                    throw InputError.lines(error.lines + hint)
                }
            case .syncerImages(let file):
                return ExportInputFile(source: source, references: [], rules: file.rules, settings: InputRegistrySettings(), kind: "image-syncer images file")
            case .skopeoSync(let file):
                return ExportInputFile(source: source, references: [], rules: file.rules, settings: try InputRegistrySettings(skopeo: file), kind: "skopeo sync file")
            }
        } catch let error as FerryInputsError {
            throw InputError.lines([error.description])
        }
    }

    /// `explicit` plus the images the rules select, duplicates dropped, order kept. Lists tags
    /// where a rule needs them and logs each rule's selection on stderr (unless `quiet`).
    /// Also returns the destinations the rules name for each source (the intended names the
    /// bundle records, `dev.ferry.destinations`; default `""` destinations are not known here).
    func expand(adding explicit: [ImageReference], client: RegistryClient, terminal: Terminal, quiet: Bool,
                logger: Logger) async throws -> (references: [ImageReference], intended: [String: [ImageReference]]) {
        var result = explicit
        var seen = Set(explicit.map(\.description))
        guard hasRules else {
            for reference in references where seen.insert(reference.description).inserted { result.append(reference) }
            return (result, [:])
        }
        var intended: [String: [ImageReference]] = [:]
        // A failed listing is a FerryInputsError.tagListing; ErrorReporter exits with the code
        // of the registry error inside it.
        let selections = try await RuleResolver(lister: client).resolve(rules, source: source)
        for selection in selections {
            let line = "\(source): \(Self.summary(selection))"
            if !quiet { terminal.err("ferry: \(line)\n") }
            logger.info("\(line)", metadata: [RunRecordOptions.fileOnly: "1"])
            for mapping in selection.mappings {
                intended[mapping.source.description, default: []] += mapping.destinations
                if seen.insert(mapping.source.description).inserted { result.append(mapping.source) }
            }
        }
        return (result, intended)
    }

    /// The list's charts and files as requests, each error naming its line.
    func artifactRequests() throws -> (references: [ImageReference], charts: [ChartRequest], files: [FileRequest]) {
        var result: (references: [ImageReference], charts: [ChartRequest], files: [FileRequest]) = ([], [], [])
        var problems: [String] = []
        for entry in charts {
            do {
                if entry.text.hasPrefix("oci://") {
                    result.references.append(try ImageReference(parsing: ExportCommand.ociChart(entry.text)))
                } else {
                    result.charts.append(try ChartRequest(parsing: entry.text))
                }
            } catch {
                problems.append("\(source):\(entry.line): \(error)")
            }
        }
        for entry in files {
            do { result.files.append(try FileRequest(parsing: entry.text, directory: directory)) } catch {
                problems.append("\(source):\(entry.line): \(error)")
            }
        }
        if !problems.isEmpty { throw InputError.lines(problems) }
        return result
    }

    /// `quay.io/coreos/etcd:/^v3/: tags matching /^v3/, 2 of 7 listed tags: v3.5.12, v3.5.13 →
    /// harbor/coreos/etcd` (the destination is informative: export writes a bundle).
    static func summary(_ selection: RuleSelection) -> String {
        let chosen = selection.mappings.map { $0.source.tag ?? $0.source.digest?.description ?? "?" }
        var text = "\(selection.rule.text): "
        if let listed = selection.listedTags {
            text += "\(selection.rule.selection), \(chosen.count) of \(listed.count) listed tags"
        } else {
            text += "\(chosen.count) image\(chosen.count == 1 ? "" : "s")"
        }
        if !chosen.isEmpty { text += ": " + chosen.joined(separator: ", ") }
        let destinations = selection.rule.destinations.map(\.description).joined(separator: ", ")
        return text + " → \(destinations)"
    }
}
