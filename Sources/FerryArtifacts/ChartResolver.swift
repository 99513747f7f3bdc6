public import FerryCore
public import FerryRegistry
import FerryHTTP
import Foundation

/// A chart picked from its repository's index: where its `.tgz` is and the name it travels
/// under.
public struct ResolvedChart: Sendable, Equatable {
    /// What the user asked for.
    public let request: ChartRequest
    /// The version index.yaml gave for it.
    public let entry: ChartRepositoryIndex.Entry
    /// The `.tgz` URL, absolute.
    public let url: String
    /// `HOST/PATH/NAME:TAG` (ChartRequest.reference).
    public let reference: ImageReference
}

/// Reads each chart repository's `index.yaml` once per run (the first `resolve` that needs it
/// fetches it; dependencies reuse it) and picks every requested chart's version before anything
/// is downloaded, so a wrong name or range fails the run at its start.
public final class ChartResolver: @unchecked Sendable {
    /// index.yaml files of big public repositories run to tens of MB.
    public static let maximumIndexBytes = 256 << 20

    let client: RegistryClient
    private let mutex = Mutex()
    private var indexes: [String: ChartRepositoryIndex] = [:]

    public init(client: RegistryClient) {
        self.client = client
    }

    /// Each request's chart, in order.
    public func resolve(_ requests: [ChartRequest]) async throws -> [ResolvedChart] {
        var resolved: [ResolvedChart] = []
        for request in requests {
            let index = try await index(of: request)
            let entry = try index.select(request)
            let reference = try request.reference(tag: HelmChartArtifact.tag(forVersion: entry.version))
            resolved.append(ResolvedChart(request: request, entry: entry, url: try index.chartURL(entry), reference: reference))
        }
        return resolved
    }

    private func index(of request: ChartRequest) async throws -> ChartRepositoryIndex {
        if let known = mutex.withLock({ indexes[request.repository] }) { return known }
        let fetched: [UInt8]?
        do {
            fetched = try await client.fetchWebFile(request.indexURL, maximumBodySize: Self.maximumIndexBytes)
        } catch RegistryError.transport(.bodyTooLarge) {
            throw FerryArtifactsError.tooLarge(chart: request.description, url: request.indexURL, limit: Self.maximumIndexBytes)
        }
        guard let bytes = fetched else {
            throw FerryArtifactsError.index(request.repository, reason: "\(request.indexURL) was not found (HTTP 404); is this a Helm chart repository?")
        }
        let repository = request.repository
        // Tens of MB of YAML: parsed off the cooperative pool.
        let index = try await Blocking.run { try ChartRepositoryIndex(yaml: String(decoding: bytes, as: UTF8.self), repository: repository) }
        mutex.withLock { indexes[repository] = index }
        return index
    }
}
