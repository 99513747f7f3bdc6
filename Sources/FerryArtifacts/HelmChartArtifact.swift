public import FerryCore
import Foundation

/// A chart stored as an OCI artifact the way `helm push` (Helm 3.8 and later) stores it
/// (issue 20): the config is the chart's metadata JSON, the first layer the `.tgz` unchanged,
/// a `.prov` a second layer, and the manifest carries Helm's annotations. `helm pull` and
/// `helm install oci://…` read it as their own.
///
/// Details that make the bytes Helm's (checked against helm 3.17's push):
/// - the manifest has no top-level `mediaType` and no `artifactType`; keys are schemaVersion,
///   config, layers, annotations; descriptors are mediaType, digest, size;
/// - layers are sorted by digest string (oras-go v1 packs them so), so a `.prov` may come first;
/// - annotations: description, title (name), version, url (home), source (first of
///   `sources`), authors (`Name (email)` joined by `, `), each only when not blank, then the
///   chart's own annotations over them except title and version;
/// - `created` is the one value Helm takes from the clock (the file's mtime). ferry takes it
///   from the chart repository's `index.yaml` entry instead, in UTC seconds, so two exports
///   of the same chart give the same digest; a chart whose entry has none gets none (Helm
///   accepts a manifest without it).
public struct HelmChartArtifact: Sendable {
    public static let configType: MediaType = .helmConfig
    public static let chartType: MediaType = .helmChart
    public static let provenanceType: MediaType = .helmProvenance

    public let metadata: ChartMetadata
    public let config: [UInt8]
    public let configDescriptor: Descriptor
    public let chart: Descriptor
    public let provenance: Descriptor?
    public let manifest: [UInt8]

    public init(metadata: ChartMetadata, chart: Descriptor, provenance: Descriptor?, created: String?) {
        self.metadata = metadata
        self.chart = chart
        self.provenance = provenance
        config = metadata.configJSON()
        let configItem = Descriptor(mediaType: Self.configType, digest: DigestHasher.digest(of: config), size: Int64(config.count))
        configDescriptor = configItem
        let layers = ([chart] + (provenance.map { [$0] } ?? [])).sorted { $0.digest.description < $1.digest.description }
        func descriptor(_ item: Descriptor) -> GoJSON {
            .object([("mediaType", .string(item.mediaType.rawValue)), ("digest", .string(item.digest.description)), ("size", .int(item.size))])
        }
        var fields: [(String, GoJSON)] = [("schemaVersion", .int(2)), ("config", descriptor(configItem)),
                                          ("layers", .array(layers.map(descriptor)))]
        let annotations = Self.annotations(metadata, created: created)
        if !annotations.isEmpty { fields.append(("annotations", .map(annotations.mapValues(GoJSON.string)))) }
        manifest = GoJSON.object(fields).encoded()
    }

    /// The tag Helm pushes a version under: OCI tags cannot hold `+`, so it becomes `_`.
    public static func tag(forVersion version: String) -> String {
        version.replacingOccurrences(of: "+", with: "_")
    }

    /// Helm's `generateChartOCIAnnotations` with the chart's own annotations merged over it.
    static func annotations(_ metadata: ChartMetadata, created: String?) -> [String: String] {
        var result: [String: String] = [:]
        func add(_ key: String, _ value: String?) {
            if let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { result[key] = value }
        }
        add("org.opencontainers.image.description", metadata.description)
        add("org.opencontainers.image.title", metadata.name)
        add("org.opencontainers.image.version", metadata.version)
        add("org.opencontainers.image.url", metadata.home)
        add("org.opencontainers.image.created", created)
        add("org.opencontainers.image.source", metadata.sources.first)
        let authors = metadata.maintainers.map { maintainer in
            maintainer.email.isEmpty ? maintainer.name : "\(maintainer.name) (\(maintainer.email))"
        }
        add("org.opencontainers.image.authors", authors.joined(separator: ", "))
        for (key, value) in metadata.annotations
        where key != "org.opencontainers.image.title" && key != "org.opencontainers.image.version" {
            result[key] = value
        }
        return result
    }

    /// An RFC 3339 time as `helm repo index` writes it (nanoseconds, any offset) → UTC seconds,
    /// the form `helm push` writes. Nil when it does not parse.
    public static func createdAnnotation(_ text: String) -> String? {
        let pattern = #/(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})/#
        guard let match = text.trimmingCharacters(in: .whitespaces).wholeMatch(of: pattern) else { return nil }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = Int(match.1)
        components.month = Int(match.2)
        components.day = Int(match.3)
        components.hour = Int(match.4)
        components.minute = Int(match.5)
        components.second = Int(match.6)
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return nil }
        calendar.timeZone = utc
        guard var date = calendar.date(from: components) else { return nil }
        let offset = String(match.8)
        if offset != "Z" && offset != "z" {
            let sign: Double = offset.hasPrefix("-") ? -1 : 1
            let parts = offset.dropFirst().split(separator: ":")
            guard parts.count == 2, let hours = Double(parts[0]), let minutes = Double(parts[1]) else { return nil }
            date = date.addingTimeInterval(-sign * (hours * 3600 + minutes * 60))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
