public import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// The manifests that name `digest` as their `subject`, from the OCI 1.1 referrers API
    /// (`GET /v2/<name>/referrers/<digest>`), following pagination. Nil when the registry has
    /// no referrers API (404 on the endpoint): the caller then looks for the fallback tag
    /// `sha256-<hex>` (distribution-spec v1.1, "Referrers Tag Schema").
    public func referrers(registry: String, repository: String, digest: Digest, maximumPages: Int = 100) async throws -> [Descriptor]? {
        var descriptors: [Descriptor] = []
        var listed: Set<Digest> = []
        let first = "/v2/\(repository)/referrers/\(digest)"
        var walk = PageWalk(first: first, maximumPages: maximumPages)
        var next: String? = first
        while let path = next {
            try walk.request(path)
            let response = try await send(registry: registry, repository: repository, maximumBodySize: ParsedManifest.maximumSize) { endpoint in
                var headers = HTTPHeaders()
                headers.set("Accept", MediaType.ociIndex.rawValue)
                return HTTPRequest(url: endpoint.baseURL + path, headers: headers, tls: endpoint.tls)
            }
            switch response.status {
            case 200: break
            // No such endpoint: a registry without the API (distribution 2.x answers 404).
            case 404 where walk.pages == 1: return nil
            default: throw Self.unexpected(response)
            }
            let index: ImageIndex
            do {
                index = try JSONDecoder().decode(ImageIndex.self, from: Data(response.body))
            } catch {
                throw RegistryError.unexpectedStatus(status: 200, url: response.head.redactedURL, code: nil,
                                                     message: "referrers answer is not an OCI index")
            }
            for descriptor in index.manifests where descriptor.mediaType.isManifest && listed.insert(descriptor.digest).inserted {
                descriptors.append(descriptor)
            }
            next = walk.next(link: response.headers["Link"])
        }
        return descriptors
    }
}
