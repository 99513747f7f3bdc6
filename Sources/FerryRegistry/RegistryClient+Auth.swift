import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Answers a 401: Basic with the registry's credentials, or Bearer by fetching a token
    /// for the scope from the challenge's realm (with credentials when we have them, anonymous
    /// otherwise, as Docker Hub allows).
    func authenticate(registry: String, repository: String?, scope: String?, response: HTTPResponse) async throws {
        let header = response.headers.values("WWW-Authenticate").joined(separator: ", ")
        let challenges = AuthChallenge.parse(header)
        let credential = try await credentials.credential(registry: registry, repository: repository)
        if let bearer = challenges.first(where: { $0.scheme.lowercased() == "bearer" }) {
            guard let realm = bearer.parameters["realm"], !realm.isEmpty else { throw RegistryError.badChallenge(header) }
            let endpoint = try await endpoint(for: registry)
            try validateRealm(realm, registryBaseURL: endpoint.baseURL, registry: registry)
            let service = bearer.parameters["service"]
            let tokenScope = scope ?? bearer.parameters["scope"]
            try await state.refresh(registry: registry, repository: repository, scope: scope, basic: false) { [self] in
                try await self.fetchToken(realm: realm, service: service, scope: tokenScope, credential: credential,
                                          tls: endpoint.tls)
            }
            return
        }
        if challenges.contains(where: { $0.scheme.lowercased() == "basic" }) {
            guard let credential else {
                throw RegistryError.unauthorized(registry: registry, repository: repository,
                                                 detail: "the registry wants a username and password (use --creds or --authfile)")
            }
            try await state.refresh(registry: registry, repository: repository, scope: scope, basic: true) {
                RegistryClientState.CachedAuthorization(header: credential.basicAuthorization, expires: .distantFuture)
            }
            return
        }
        throw RegistryError.unauthorized(registry: registry, repository: repository,
                                         detail: header.isEmpty ? "HTTP 401 without a challenge" : "unsupported challenge \"\(header.prefix(120))\"")
    }

    /// A token realm must not downgrade an https registry to plain http (the credentials would
    /// travel in clear) and must not point at link-local addresses (cloud metadata services).
    func validateRealm(_ realm: String, registryBaseURL: String, registry: String) throws {
        guard let components = URLComponents(string: realm), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), scheme == "https" || scheme == "http" else {
            throw RegistryError.refusedRealm(realm: URLRedaction.redact(realm), reason: "not an http(s) URL")
        }
        if scheme == "http" && registryBaseURL.hasPrefix("https://") && !configuration.insecureRegistries.contains(registry) {
            throw RegistryError.refusedRealm(realm: URLRedaction.redact(realm), reason: "plain http token service for an https registry")
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bare.hasPrefix("169.254.") || bare.hasPrefix("fe80:") || bare == "metadata.google.internal" {
            throw RegistryError.refusedRealm(realm: URLRedaction.redact(realm), reason: "link-local or metadata address")
        }
    }

    func fetchToken(realm: String, service: String?, scope: String?, credential: Credential?,
                    tls: TLSOptions) async throws -> RegistryClientState.CachedAuthorization {
        var request: HTTPRequest
        if let refresh = credential?.identityToken {
            // OAuth2 refresh-token grant (Docker's identity tokens).
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"),
                               URLQueryItem(name: "refresh_token", value: refresh),
                               URLQueryItem(name: "client_id", value: "ferry")]
            if let service { form.queryItems?.append(URLQueryItem(name: "service", value: service)) }
            if let scope { form.queryItems?.append(URLQueryItem(name: "scope", value: scope)) }
            let body = Array((form.percentEncodedQuery ?? "").utf8)
            var headers = HTTPHeaders()
            headers.set("Content-Type", "application/x-www-form-urlencoded")
            request = HTTPRequest(method: .post, url: realm, headers: headers, body: .bytes(body), tls: tls)
        } else {
            guard var components = URLComponents(string: realm) else {
                throw RegistryError.refusedRealm(realm: URLRedaction.redact(realm), reason: "not a URL")
            }
            var items = components.queryItems ?? []
            if let service { items.append(URLQueryItem(name: "service", value: service)) }
            // One `scope` parameter per scope (distribution's token spec).
            for part in (scope ?? "").split(separator: " ") { items.append(URLQueryItem(name: "scope", value: String(part))) }
            components.queryItems = items.isEmpty ? nil : items
            guard let url = components.string else {
                throw RegistryError.refusedRealm(realm: URLRedaction.redact(realm), reason: "not a URL")
            }
            request = HTTPRequest(url: url, tls: tls)
            if let credential { request.headers.set("Authorization", credential.basicAuthorization) }
        }
        var attempt = 0
        var response: HTTPResponse
        while true {
            attempt += 1
            do {
                response = try await http.send(request, maximumBodySize: 1 << 20)
            } catch let error as FerryHTTPError where error.isTransient && attempt < configuration.retry.maximumAttempts {
                try await Task.sleep(nanoseconds: UInt64(configuration.retry.delay(afterAttempt: attempt, retryAfter: nil) * 1e9))
                continue
            } catch let error as FerryHTTPError {
                throw RegistryError.transport(error)
            }
            if RetryPolicy.retryableStatuses.contains(response.status) && attempt < configuration.retry.maximumAttempts {
                let delay = configuration.retry.delay(afterAttempt: attempt, retryAfter: response.headers["Retry-After"])
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                continue
            }
            break
        }
        let redactedRealm = URLRedaction.redact(realm)
        guard response.status == 200 else {
            if response.status == 401 || response.status == 403 {
                throw RegistryError.unauthorized(registry: redactedRealm, repository: nil,
                                                 detail: "token service refused the \(credential == nil ? "anonymous " : "")request (HTTP \(response.status))")
            }
            throw RegistryError.badTokenResponse(realm: redactedRealm, reason: "HTTP \(response.status)")
        }
        struct TokenAnswer: Decodable {
            var token: String?
            var access_token: String?
            var expires_in: Int?
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(response.body)),
              let token = answer.token ?? answer.access_token, !token.isEmpty else {
            throw RegistryError.badTokenResponse(realm: redactedRealm, reason: "no token in the answer")
        }
        // Tokens without expires_in last 60 s (distribution's token spec); renew a little early.
        let lifetime = Double(max(answer.expires_in ?? 60, 10))
        return RegistryClientState.CachedAuthorization(header: "Bearer \(token)", expires: Date().addingTimeInterval(lifetime - 5))
    }
}
