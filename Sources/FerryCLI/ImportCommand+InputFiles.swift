import FerryCore
import FerryInputs
import FerryOperations
import FerryRegistry
import Foundation
import Logging

/// `ferry import -f images.json`: the destination side of an image-syncer/SWR images file or a
/// skopeo sync YAML (or a plain list, with `--to`), applied to the images the bundle carries.
/// On the isolated side there is no source registry to list tags from, so the bundle's own
/// names stand in for it: a rule's regex, semver or tag list selects among the tags the bundle
/// has. The file is given on the command line, so destination hosts still come from there.
enum ImportDestinations {
    /// The tags of the bundle's images, per repository.
    struct BundleTagLister: TagLister {
        let names: [ImageReference]
        func tags(of repository: RepositoryName) async throws -> [String] {
            names.filter { $0.registry == repository.registry && $0.repository == repository.repository }.compactMap(\.tag)
        }
    }

    /// Source name → destinations for every image of `input` the file selects.
    static func table(file: ExportInputFile, input: ImportInput, mapper: DestinationMapper?, terminal: Terminal, quiet: Bool,
                      logger: Logger) async throws -> [String: [ImageReference]] {
        let names = try await input.sourceNames()
        var table: [String: [ImageReference]] = [:]
        guard file.hasRules else {
            // A plain list selects images; --to says where they go.
            guard let mapper else { throw InputError.file(path: file.source, reason: "is a plain image list: it names no destinations, give --to") }
            let listed = Set(file.references.map(\.description))
            for name in names where listed.contains(name.description) { table[name.description] = [try mapper.destination(for: name)] }
            return table
        }
        let defaults = mapper.map { DestinationDefaults(registry: $0.registry, namespace: $0.prefix.joined(separator: "/")) }
        let selections = try await RuleResolver(lister: BundleTagLister(names: names), defaults: defaults)
            .resolve(file.rules, source: file.source, requireDestinations: true)
        let carried = Set(names.map(\.description))
        for selection in selections {
            let line = "\(file.source): \(ExportInputFile.summary(selection))"
            if !quiet { terminal.err("ferry: \(line)\n") }
            logger.info("\(line)")
            for mapping in selection.mappings where carried.contains(mapping.source.description) {
                table[mapping.source.description, default: []] += mapping.destinations
            }
        }
        return table
    }
}
