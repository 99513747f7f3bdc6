public import FerryCore
public import FerryRegistry
import FerryArchive
import FerryHTTP
import FerryInputs

/// An image source that answers for charts from classic repositories and passes every other
/// reference to `inner` (a registry). Export, its engine and its checks then treat a chart as
/// any other OCI artifact (issue 20).
///
/// The first request for a chart's manifest downloads the `.tgz` (and `.prov`, when the
/// repository has one), checks it against the digest `index.yaml` lists, reads `Chart.yaml`
/// from it and builds Helm's artifact. Only the small parts (config, manifest, `.prov`) are
/// kept; the layer is fetched again, streaming, when the engine asks for it, and the engine
/// verifies it against the digest of the first download.
public final class ChartSource: ImageSource, @unchecked Sendable {
    /// Helm refuses charts whose archive holds more than 100 MiB; the `.tgz` is far smaller.
    public static let maximumChartBytes = 64 << 20
    public static let maximumProvenanceBytes = 1 << 20
    static let maximumChartYAMLBytes = 1 << 20

    let inner: any ImageSource
    let client: RegistryClient
    /// Read the chart's images while building it (`--chart-images`).
    let discoverImages: Bool
    private let mutex = Mutex()
    private var known: [ResolvedChart]
    private var built: [String: Task<Built, any Error>] = [:]

    struct Built: Sendable {
        var artifact: HelmChartArtifact
        var provenance: [UInt8]?
        var digest: Digest
        var images: ChartImages?
    }

    /// `inner` answers for everything that is not one of `charts`; `client` fetches the charts
    /// (with the run's credentials and TLS settings).
    public init(inner: any ImageSource, charts: [ResolvedChart], client: RegistryClient, discoverImages: Bool = false) {
        self.inner = inner
        known = charts
        self.client = client
        self.discoverImages = discoverImages
    }

    /// The charts this source answers for.
    public var charts: [ResolvedChart] { mutex.withLock { known } }

    /// Answers for more charts (dependencies found after the first ones were read). Call it
    /// before the export starts.
    public func add(_ more: [ResolvedChart]) {
        mutex.withLock {
            for chart in more where !known.contains(where: { $0.reference == chart.reference }) { known.append(chart) }
        }
    }

    /// The chart's Chart.yaml, as Helm reads it (fetching and checking the chart once).
    public func metadata(of chart: ResolvedChart) async throws -> ChartMetadata {
        try await build(chart).artifact.metadata
    }

    /// The images the chart names without rendering (with `discoverImages`; else none).
    public func images(of chart: ResolvedChart) async throws -> ChartImages {
        try await build(chart).images ?? ChartImages()
    }

    func isChartRepository(_ reference: ImageReference) -> Bool {
        charts.contains { $0.reference.name == reference.name }
    }

    public func manifest(_ reference: ImageReference) async throws -> FetchedManifest {
        guard isChartRepository(reference) else { return try await inner.manifest(reference) }
        for chart in charts where chart.reference.name == reference.name {
            if let digest = reference.digest {
                let made = try await build(chart)
                if made.digest == digest { return FetchedManifest(bytes: made.artifact.manifest, mediaType: .ociManifest, digest: made.digest) }
            } else if reference.tag == chart.reference.tag {
                let made = try await build(chart)
                return FetchedManifest(bytes: made.artifact.manifest, mediaType: .ociManifest, digest: made.digest)
            }
        }
        throw RegistryError.manifestNotFound(repository: reference.name, reference: reference.manifestReference)
    }

    public func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws {
        guard isChartRepository(reference) else { return try await inner.blob(reference, descriptor: descriptor, into: target) }
        for chart in charts where chart.reference.name == reference.name {
            let made = try await build(chart)
            let artifact = made.artifact
            if descriptor.digest == artifact.configDescriptor.digest {
                try Self.write(artifact.config, into: target)
                return
            }
            if descriptor.digest == artifact.chart.digest {
                try await client.fetchWebFile(chart.url, into: target)
                return
            }
            if let provenance = made.provenance, descriptor.digest == artifact.provenance?.digest {
                try Self.write(provenance, into: target)
                return
            }
        }
        throw RegistryError.blobNotFound(repository: reference.name, digest: descriptor.digest)
    }

    public func tags(of reference: ImageReference) async throws -> [String] {
        isChartRepository(reference) ? [] : try await inner.tags(of: reference)
    }

    public func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? {
        isChartRepository(reference) ? nil : try await inner.referrers(of: reference, subject: digest)
    }

    private static func write(_ bytes: [UInt8], into target: any BlobSink) throws {
        if target.received > 0 { try target.restart() }
        try bytes.withUnsafeBytes { try target.write($0) }
    }

    /// One build per chart, shared by concurrent callers. A failed build is forgotten, so a
    /// later request (a retry) builds again; a cancelled caller cancels the build.
    private func build(_ chart: ResolvedChart) async throws -> Built {
        let key = chart.reference.description
        let task: Task<Built, any Error> = mutex.withLock {
            if let running = built[key] { return running }
            let client = self.client
            let discover = discoverImages
            let task = Task { try await Self.make(chart, client: client, discoverImages: discover) }
            built[key] = task
            return task
        }
        do {
            return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        } catch {
            mutex.withLock { if built[key] == task { built[key] = nil } }
            throw error
        }
    }

    static func make(_ chart: ResolvedChart, client: RegistryClient, discoverImages: Bool) async throws -> Built {
        let name = chart.request.name + " " + chart.entry.version
        let shown = URLRedaction.redact(chart.url)
        let fetched: [UInt8]?
        do { fetched = try await client.fetchWebFile(chart.url, maximumBodySize: maximumChartBytes) } catch RegistryError.transport(.bodyTooLarge) {
            throw FerryArtifactsError.tooLarge(chart: name, url: chart.url, limit: maximumChartBytes)
        }
        guard let archive = fetched else {
            throw FerryArtifactsError.chartNotFound(chart.request.description, reason: "\(shown) was not found (HTTP 404), though index.yaml lists it")
        }
        // Hashing and reading the archive are CPU work: off the cooperative pool.
        let (digest, metadata) = try await Blocking.run { (DigestHasher.digest(of: archive), try chartYAML(archive, chart: name)) }
        if let listed = chart.entry.digest, listed != digest {
            throw FerryArtifactsError.digestMismatch(chart: name, url: chart.url, listed: listed, actual: digest)
        }
        let provenance: [UInt8]?
        do {
            provenance = try await client.fetchWebFile(chart.url + ".prov", maximumBodySize: maximumProvenanceBytes)
        } catch RegistryError.unauthorized {
            // Object stores answer 403 for a file that is not there; the chart itself came.
            provenance = nil
        }
        let artifact = HelmChartArtifact(
            metadata: metadata,
            chart: Descriptor(mediaType: HelmChartArtifact.chartType, digest: digest, size: Int64(archive.count)),
            provenance: provenance.map { Descriptor(mediaType: HelmChartArtifact.provenanceType, digest: DigestHasher.digest(of: $0), size: Int64($0.count)) },
            created: chart.entry.created.flatMap(HelmChartArtifact.createdAnnotation))
        let images = discoverImages ? try await Blocking.run { try ChartImages.read(archive: archive, metadata: metadata, chart: name) } : nil
        return Built(artifact: artifact, provenance: provenance, digest: DigestHasher.digest(of: artifact.manifest), images: images)
    }

    /// `Chart.yaml` at the top of the chart's directory in the archive (`NAME/Chart.yaml`),
    /// parsed as Helm does.
    static func chartYAML(_ archive: [UInt8], chart: String) throws -> ChartMetadata {
        var found: (name: String, bytes: [UInt8])?
        do {
            let reader = try ArchiveReader(bytes: archive, name: chart + ".tgz")
            while found == nil, let entry = try reader.next() {
                let parts = entry.name.split(separator: "/", omittingEmptySubsequences: true)
                if entry.isRegularFile, parts.count == 2, parts[1] == "Chart.yaml" {
                    found = (entry.name, try reader.readAll(limit: maximumChartYAMLBytes))
                }
            }
        } catch {
            throw FerryArtifactsError.chart(chart, reason: "the archive cannot be read as a gzipped tar: \(error)")
        }
        guard let found else {
            throw FerryArtifactsError.chart(chart, reason: "the archive holds no Chart.yaml in a top-level directory; it is not a Helm chart")
        }
        let text = String(decoding: found.bytes, as: UTF8.self)
        guard let value = try YAMLReader.single(text, source: "\(chart): \(found.name)") else {
            throw FerryArtifactsError.chart(chart, reason: "\(found.name) is empty")
        }
        return try ChartMetadata(value, source: chart)
    }
}
