import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Every tag of a repository, following `Link: <…>; rel="next"` pagination. Stops after
    /// `maximumPages` so a registry that paginates forever cannot keep us busy.
    public func listTags(registry: String, repository: String, pageSize: Int = 1000, maximumPages: Int = 1000) async throws -> [String] {
        var tags: [String] = []
        var next: String? = "/v2/\(repository)/tags/list?n=\(pageSize)"
        var pages = 0
        while let path = next {
            pages += 1
            guard pages <= maximumPages else { break }
            let response = try await send(registry: registry, repository: repository, maximumBodySize: 8 << 20) { endpoint in
                HTTPRequest(url: path.hasPrefix("http") ? path : endpoint.baseURL + path, tls: endpoint.tls)
            }
            guard response.status == 200 else {
                if response.status == 404 { throw RegistryError.manifestNotFound(repository: "\(registry)/\(repository)", reference: "tags") }
                throw Self.unexpected(response)
            }
            struct Page: Decodable { var tags: [String]? }
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(response.body)) else {
                throw RegistryError.unexpectedStatus(status: 200, url: response.head.redactedURL, code: nil, message: "tag list is not JSON")
            }
            tags += page.tags ?? []
            next = Self.nextLink(response.headers["Link"])
            // Only follow links to the same registry path space.
            if let link = next, link.hasPrefix("http") || !link.hasPrefix("/v2/") { next = nil }
        }
        return tags
    }

    /// The target of `<…>; rel="next"`.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") || part.contains("rel=next") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            return String(part[part.index(after: open)..<close])
        }
        return nil
    }
}
