public import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Fetches a manifest by tag or digest with all four manifest `Accept` types, capped at
    /// 4 MiB. A digest reference is verified against the bytes; for a tag the digest is
    /// computed from the bytes (a lying `Docker-Content-Digest` header loses).
    public func fetchManifest(_ reference: ImageReference) async throws -> FetchedManifest {
        let repository = reference.repository
        let target = reference.manifestReference
        let accept = MediaType.manifestTypes.map(\.rawValue).joined(separator: ", ")
        let response = try await send(registry: reference.registry, repository: repository,
                                      maximumBodySize: ParsedManifest.maximumSize) { endpoint in
            var headers = HTTPHeaders()
            headers.set("Accept", accept)
            return HTTPRequest(url: "\(endpoint.baseURL)/v2/\(repository)/manifests/\(target)", headers: headers, tls: endpoint.tls)
        }
        switch response.status {
        case 200: break
        case 404: throw RegistryError.manifestNotFound(repository: reference.name, reference: target)
        default: throw Self.unexpected(response)
        }
        let algorithm = reference.digest?.algorithm ?? .sha256
        let digest = DigestHasher.digest(of: response.body, algorithm: algorithm)
        if let expected = reference.digest, expected != digest {
            throw RegistryError.manifestDigestMismatch(repository: reference.name, expected: expected, actual: digest)
        }
        let mediaType = try Self.manifestMediaType(response, repository: reference.name, reference: target)
        return FetchedManifest(bytes: response.body, mediaType: mediaType, digest: digest)
    }

    /// The media type from `Content-Type`, or from the document's `mediaType` field when the
    /// registry sent a generic type.
    static func manifestMediaType(_ response: HTTPResponse, repository: String, reference: String) throws -> MediaType {
        if let contentType = response.headers["Content-Type"] {
            let bare = MediaType(String(contentType.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces))
            if bare.isManifest { return bare }
        }
        struct Probe: Decodable { var mediaType: MediaType? }
        if let declared = (try? JSONDecoder().decode(Probe.self, from: Data(response.body)))?.mediaType {
            return declared
        }
        throw RegistryError.missingMediaType(repository: repository, reference: reference)
    }
}
