import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Proves the client's credentials against a registry: `GET /v2/` answered through the
    /// registry's own challenge (Basic, or a token without repository scope). Returns normally
    /// when the registry accepts them; throws `RegistryError.unauthorized` when it does not.
    public func checkLogin(registry: String) async throws {
        let response = try await send(registry: registry, repository: nil) { endpoint in
            HTTPRequest(url: endpoint.baseURL + "/v2/", tls: endpoint.tls)
        }
        guard response.status == 200 else { throw Self.unexpected(response) }
    }
}
