public import FerryCore
import FerryArchive
public import FerryInputs

/// What a chart archive says about the images it runs (`--chart-images`, issue 20), read
/// without rendering it:
/// - the `artifacthub.io/images` annotation of Chart.yaml (a YAML list of `name`/`image`);
/// - every template of the chart and its vendored subcharts that holds no template action
///   (`{{`), scanned by the same Kubernetes discovery as `ferry discover`.
/// Templates with actions are listed, not guessed at: their images appear only once rendered
/// (`helm template … | ferry discover -`).
public struct ChartImages: Sendable, Equatable {
    public var references: [ImageReference] = []
    /// Templates that need rendering, as paths inside the archive.
    public var unrendered: [String] = []
    /// Images that were named but could not be read (`where: reason`).
    public var problems: [String] = []

    public init() {}

    /// Reads them from a chart archive and its parsed Chart.yaml.
    static func read(archive: [UInt8], metadata: ChartMetadata, chart: String) throws -> ChartImages {
        var result = ChartImages()
        var seen = Set<String>()
        func add(_ reference: ImageReference) {
            if seen.insert(reference.description).inserted { result.references.append(reference) }
        }
        if let text = metadata.annotations["artifacthub.io/images"] {
            do {
                let value = try YAMLReader.single(text, source: "\(chart): artifacthub.io/images")
                if case .sequence(let items)? = value {
                    for item in items {
                        guard let image = item["image"]?.string else { continue }
                        do { add(try ImageReference(parsing: image.trimmingCharacters(in: .whitespaces))) } catch {
                            result.problems.append("artifacthub.io/images: \(image.prefix(200)): \(error)")
                        }
                    }
                }
            } catch {
                result.problems.append("artifacthub.io/images: \(error)")
            }
        }
        var discovery = KubernetesDiscovery()
        do {
            let reader = try ArchiveReader(bytes: archive, name: chart + ".tgz")
            while let entry = try reader.next() {
                guard entry.isRegularFile, Self.isTemplate(entry.name) else { continue }
                let text = String(decoding: try reader.readAll(limit: 4 << 20), as: UTF8.self)
                if text.contains("{{") {
                    result.unrendered.append(entry.name)
                } else {
                    discovery.scan(text: text, source: entry.name)
                }
            }
        } catch {
            throw FerryArtifactsError.chart(chart, reason: "the archive cannot be read as a gzipped tar: \(error)")
        }
        discovery.references.forEach(add)
        result.problems += discovery.problems.map(\.description)
        return result
    }

    /// `TOP/templates/…yaml` or a vendored subchart's `TOP/charts/SUB/templates/…yaml`.
    static func isTemplate(_ name: String) -> Bool {
        let parts = name.split(separator: "/")
        guard let last = parts.last, last.hasSuffix(".yaml") || last.hasSuffix(".yml") || last.hasSuffix(".json") else { return false }
        return parts.dropLast().contains("templates")
    }
}
