import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Every tag of a repository, each once, following `Link` pagination by `PageWalk`'s rules
    /// (same registry, no page twice, at most `maximumPages`).
    public func listTags(registry: String, repository: String, pageSize: Int = 1000, maximumPages: Int = 1000) async throws -> [String] {
        var tags: [String] = []
        var listed: Set<String> = []
        let first = "/v2/\(repository)/tags/list?n=\(pageSize)"
        var walk = PageWalk(first: first, maximumPages: maximumPages)
        var next: String? = first
        while let path = next {
            try walk.request(path)
            let response = try await send(registry: registry, repository: repository, maximumBodySize: 8 << 20) { endpoint in
                HTTPRequest(url: endpoint.baseURL + path, tls: endpoint.tls)
            }
            guard response.status == 200 else {
                if response.status == 404 { throw RegistryError.manifestNotFound(repository: "\(registry)/\(repository)", reference: "tags") }
                throw Self.unexpected(response)
            }
            struct Page: Decodable { var tags: [String]? }
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(response.body)) else {
                throw RegistryError.unexpectedStatus(status: 200, url: response.head.redactedURL, code: nil, message: "tag list is not JSON")
            }
            for tag in page.tags ?? [] where listed.insert(tag).inserted { tags.append(tag) }
            next = walk.next(link: response.headers["Link"])
        }
        return tags
    }
}
