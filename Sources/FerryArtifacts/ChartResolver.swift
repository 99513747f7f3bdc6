public import FerryCore
public import FerryRegistry
import Foundation

/// A chart picked from its repository's index: where its `.tgz` is and the name it travels
/// under.
public struct ResolvedChart: Sendable, Equatable {
    public let request: ChartRequest
    public let entry: ChartRepositoryIndex.Entry
    /// The `.tgz` URL, absolute.
    public let url: String
    /// `HOST/PATH/NAME:TAG` (ChartRequest.reference).
    public let reference: ImageReference
}

/// Reads each chart repository's `index.yaml` once and picks every requested chart's version
/// before anything is downloaded, so a wrong name or range fails the run at its start.
public struct ChartResolver: Sendable {
    /// index.yaml files of big public repositories run to tens of MB.
    public static let maximumIndexBytes = 256 << 20

    let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    public func resolve(_ requests: [ChartRequest]) async throws -> [ResolvedChart] {
        var indexes: [String: ChartRepositoryIndex] = [:]
        var resolved: [ResolvedChart] = []
        for request in requests {
            let index: ChartRepositoryIndex
            if let known = indexes[request.repository] {
                index = known
            } else {
                guard let bytes = try await client.fetchWebFile(request.indexURL, maximumBodySize: Self.maximumIndexBytes) else {
                    throw FerryArtifactsError.index(request.repository, reason: "\(request.indexURL) was not found (HTTP 404); is this a Helm chart repository?")
                }
                index = try ChartRepositoryIndex(yaml: String(decoding: bytes, as: UTF8.self), repository: request.repository)
                indexes[request.repository] = index
            }
            let entry = try index.select(request)
            let reference = try request.reference(tag: HelmChartArtifact.tag(forVersion: entry.version))
            resolved.append(ResolvedChart(request: request, entry: entry, url: try index.chartURL(entry), reference: reference))
        }
        return resolved
    }
}
