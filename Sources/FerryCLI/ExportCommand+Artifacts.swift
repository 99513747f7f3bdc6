import FerryArtifacts
import FerryCore
import FerryRegistry
import Foundation
import Logging

extension ExportCommand {
    /// Charts (with their dependencies and images when asked) and files: the references they
    /// add to the export, and the source that answers for them in front of the registry.
    /// Every index.yaml is read, every version picked and every file hashed before any
    /// transfer starts.
    func prepareArtifacts(charts requests: [ChartRequest], files: [FileRequest], client: RegistryClient, scratch: String,
                          terminal: Terminal, logger: Logger) async throws -> (references: [ImageReference], source: any ImageSource) {
        var references: [ImageReference] = []
        var source: any ImageSource = RegistrySource(client: client)
        let resolver = ChartResolver(client: client)
        let resolved = try await resolver.resolve(requests)
        if !resolved.isEmpty {
            let charts = ChartSource(inner: source, charts: resolved, client: client, discoverImages: chartImages)
            var extra: [ImageReference] = []
            if chartDeps {
                let found = try await ChartDependencyResolver(client: client, source: charts, resolver: resolver).resolve(resolved)
                extra += found.references
                for note in found.notes { warn("\(note)", terminal: terminal, logger: logger) }
            }
            for chart in charts.charts {
                logger.info("chart \(chart.request) is \(chart.entry.version), exported as \(chart.reference)")
                if chart.entry.digest == nil {
                    warn("chart \(chart.request.name) \(chart.entry.version): index.yaml lists no digest for it, so its bytes are checked only from their first download on",
                         terminal: terminal, logger: logger)
                }
                references.append(chart.reference)
            }
            references += extra
            if chartImages {
                for chart in charts.charts {
                    let images = try await charts.images(of: chart)
                    references += images.references
                    let name = "chart \(chart.request.name) \(chart.entry.version)"
                    logger.info("\(name): \(images.references.count) images named without rendering")
                    for problem in images.problems { warn("\(name): \(problem)", terminal: terminal, logger: logger) }
                    if !images.unrendered.isEmpty {
                        let listed = images.unrendered.prefix(5).joined(separator: ", ") + (images.unrendered.count > 5 ? ", …" : "")
                        warn("\(name): \(images.unrendered.count) template(s) need rendering before their images can be read (\(listed)); "
                             + "list them with: helm template \(chart.request.name) \(chart.request.repository)/\(chart.request.name) --version \(chart.entry.version) | ferry discover -",
                             terminal: terminal, logger: logger)
                    }
                }
            }
            source = charts
        }
        // Files: hashed now (a directory packed into `scratch`), read again (and checked
        // against that hash) when written.
        var named: [String: String] = [:]
        for file in files {
            if let other = named.updateValue(file.path, forKey: file.reference.description), other != file.path {
                throw InputError.lines(["--file \(other) and --file \(file.path) would both be \(file.reference); give one of them a NAME (PATH=NAME:TAG)"])
            }
        }
        let artifacts = try await Blocking.run { try files.map { try FileArtifact.prepare($0, scratch: scratch) } }
        references += artifacts.map(\.request.reference)
        if !artifacts.isEmpty { source = FileSource(inner: source, files: artifacts) }
        return (references, source)
    }

    private func warn(_ text: String, terminal: Terminal, logger: Logger) {
        if !outputOptions.quiet { terminal.err("ferry: warning: \(text)\n") }
        logger.warning("\(text)", metadata: [RunRecordOptions.fileOnly: "1"])
    }
}
