import FerryCore
public import FerryHTTP
import Foundation
public import Logging

/// A client for the OCI distribution API (and Docker Hub's flavour of it).
///
/// One client serves every registry of a run. It learns each registry's scheme with a `/v2/`
/// ping, answers auth challenges (anonymous, Basic, Bearer tokens with per-repository scopes,
/// cached and refreshed on 401), and retries transient failures with backoff. Requests are
/// built from typed values (`ImageReference`, `Digest`), never from user strings.
public final class RegistryClient: Sendable {
    public let configuration: RegistryConfiguration
    let http: HTTPClient
    let credentials: any CredentialProvider
    let logger: Logger
    let state: RegistryClientState

    public init(http: HTTPClient, configuration: RegistryConfiguration = RegistryConfiguration(),
                credentials: any CredentialProvider = StaticCredentials(nil), logger: Logger = Logger(label: "ferry.registry")) {
        self.http = http
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        state = RegistryClientState()
    }

    /// The scheme, host and TLS settings for one registry.
    struct Endpoint: Sendable {
        var baseURL: String
        var tls: TLSOptions
    }

    /// Docker Hub's API lives on another host than its name.
    static func apiHost(_ registry: String) -> String {
        registry == ImageReference.dockerHub ? "registry-1.docker.io" : registry
    }

    /// Learns (once per registry) whether to use https or plain http, by pinging `/v2/`.
    func endpoint(for registry: String) async throws -> Endpoint {
        do {
            return try await state.endpoint(for: registry) { [self] in try await self.discoverEndpoint(registry) }
        } catch let error as FerryHTTPError {
            throw RegistryError.transport(error)
        }
    }

    private func discoverEndpoint(_ registry: String) async throws -> Endpoint {
        let host = Self.apiHost(registry)
        let insecure = configuration.insecureRegistries.contains(registry)
        let loopback = RegistryConfiguration.isLoopback(registry)
        let tls = TLSOptions(verify: configuration.tlsVerify && !insecure, caBundlePEM: try await caBundle())
        let secure = Endpoint(baseURL: "https://\(host)", tls: tls)
        guard insecure || loopback else { return secure }
        do {
            // Short limit: a plain-HTTP server may never answer a TLS hello at all.
            _ = try await http.send(HTTPRequest(url: secure.baseURL + "/v2/", tls: tls, followRedirects: false,
                                                timeoutMilliseconds: 3_000))
            return secure
        } catch let error as FerryHTTPError where error.isTLSHandshakeFailure || error.isTransient {
            logger.debug("registry \(registry) does not speak TLS; using plain HTTP (insecure or loopback registry)")
            return Endpoint(baseURL: "http://\(host)", tls: tls)
        }
    }

    /// The CA bundle for `--cert-dir`: the system bundle plus the directory's certificates.
    func caBundle() async throws -> [UInt8]? {
        guard let directory = configuration.certDirectory else { return nil }
        return try await state.caBundle {
            try CABundle.build(certDirectory: directory)
        }
    }

    /// The repository scope string for token requests.
    static func scope(repository: String, push: Bool) -> String {
        "repository:\(repository):\(push ? "pull,push" : "pull")"
    }

    /// Sends a request built for the registry's endpoint with authorization, answering one
    /// auth challenge and retrying transient failures. The builder runs for every attempt,
    /// so it can add a `Range` for what already arrived.
    func send(registry: String, repository: String?, push: Bool = false, extraScopes: [String] = [],
              retryTransient: Bool = true, maximumBodySize: Int = 1 << 20,
              sinkFactory: HTTPSinkFactory? = nil,
              build: @Sendable (Endpoint) throws -> HTTPRequest) async throws -> HTTPResponse {
        // Several scopes (a mount needs pull on the source repository) travel as one
        // space-separated scope string, which token services accept as separate scopes.
        let scope = repository.map { ([Self.scope(repository: $0, push: push)] + extraScopes).joined(separator: " ") }
        var answeredChallenge = false
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let endpoint = try await endpoint(for: registry)
            var request = try build(endpoint)
            let sentAuthorization = await state.authorization(registry: registry, repository: repository, scope: scope)
            if let sentAuthorization {
                request.headers.set("Authorization", sentAuthorization)
            }
            guard let response = try await perform(request, attempt: attempt, retry: retryTransient,
                                                   maximumBodySize: maximumBodySize, sinkFactory: sinkFactory) else { continue }
            // Only the registry's own origin may ask for credentials. A 401 from the host a
            // redirect led to is an error: answering it would fetch a token, with the registry's
            // Basic credentials, from whatever realm that host names (issue 15, item 2).
            if response.status == 401 && !HTTPClient.sameOrigin(response.head.url, endpoint.baseURL) {
                throw RegistryError.challengeFromRedirectTarget(registry: registry, host: Self.hostAndPort(response.head.url))
            }
            if response.status == 401 && !answeredChallenge {
                answeredChallenge = true
                // A parallel request may have authenticated meanwhile: use its answer.
                if let current = await state.authorization(registry: registry, repository: repository, scope: scope), current != sentAuthorization {
                    continue
                }
                try await authenticate(registry: registry, repository: repository, scope: scope, response: response)
                continue
            }
            if response.status == 401 {
                throw RegistryError.unauthorized(registry: registry, repository: repository,
                                                 detail: Self.errorDetail(response) ?? "credentials were refused")
            }
            return response
        }
    }

    /// One attempt at `request`: its response, or nil after waiting out a transient failure
    /// (a transport hiccup, or 429/5xx per `RetryPolicy`) that `retry` allows another attempt
    /// for. Transport errors become `RegistryError.transport`.
    func perform(_ request: HTTPRequest, attempt: Int, retry: Bool, maximumBodySize: Int,
                 sinkFactory: HTTPSinkFactory?) async throws -> HTTPResponse? {
        logger.debug("\(request.method.rawValue) \(URLRedaction.redact(request.url))")
        let response: HTTPResponse
        do {
            if let sinkFactory {
                response = try await http.stream(request, sinkFactory: sinkFactory)
            } else {
                response = try await http.send(request, maximumBodySize: maximumBodySize)
            }
        } catch let error as FerryHTTPError where retry && error.isTransient && attempt < configuration.retry.maximumAttempts {
            let delay = configuration.retry.delay(afterAttempt: attempt, retryAfter: nil)
            logger.info("retrying \(request.method.rawValue) \(URLRedaction.redact(request.url)) in \(String(format: "%.1f", delay))s: \(error)")
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            return nil
        } catch let error as FerryHTTPError {
            throw RegistryError.transport(error)
        }
        if retry && RetryPolicy.retryableStatuses.contains(response.status) && attempt < configuration.retry.maximumAttempts {
            let delay = configuration.retry.delay(afterAttempt: attempt, retryAfter: response.headers["Retry-After"])
            logger.info("retrying \(request.method.rawValue) \(URLRedaction.redact(request.url)) in \(String(format: "%.1f", delay))s: HTTP \(response.status)")
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            return nil
        }
        return response
    }

    /// "host:port" of a URL, for naming a host in an error without its path or query.
    static func hostAndPort(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "(unparsable URL)" }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// A distribution error body (`{"errors":[{"code","message"}, …]}`): the first entry's code,
    /// and a message that carries every entry, because the first is not always the cause
    /// (distribution answers a missing child manifest with DIGEST_INVALID first and
    /// MANIFEST_BLOB_UNKNOWN second; issue 21, item 1). Nil when the body is something else,
    /// which proxies and CDNs often send.
    static func registryError(_ response: HTTPResponse) -> (code: String?, message: String?)? {
        struct Body: Decodable {
            struct Item: Decodable { var code: String?; var message: String? }
            var errors: [Item]?
        }
        guard let items = (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.errors, let first = items.first else {
            return nil
        }
        var message = first.message.map { String($0.prefix(500)) }
        for item in items.dropFirst().prefix(20) {
            let text = [item.code, item.message.map { String($0.prefix(500)) }].compactMap { $0 }.joined(separator: ": ")
            message = [message, text].compactMap { $0 }.joined(separator: "; ")
        }
        return (first.code, message)
    }

    /// The registry error body's first `code: message`, for error reports.
    static func errorDetail(_ response: HTTPResponse) -> String? {
        registryError(response).map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }
    }

    /// An error for a status the caller did not expect.
    static func unexpected(_ response: HTTPResponse) -> RegistryError {
        let item = registryError(response)
        return .unexpectedStatus(status: response.status, url: response.head.redactedURL, code: item?.code, message: item?.message)
    }
}

/// Mutable state shared by all requests of one client: endpoints, credentials, tokens.
/// In-flight lookups are shared, so a burst of parallel requests pings and authenticates once.
actor RegistryClientState {
    private var endpoints: [String: Task<RegistryClient.Endpoint, any Error>] = [:]
    private var authorizations: [String: CachedAuthorization] = [:]
    private var inFlightTokens: [String: Task<CachedAuthorization, any Error>] = [:]
    private var bundleTask: Task<[UInt8], any Error>?

    struct CachedAuthorization: Sendable {
        var header: String
        var expires: Date
    }

    func endpoint(for registry: String, discover: @escaping @Sendable () async throws -> RegistryClient.Endpoint) async throws -> RegistryClient.Endpoint {
        if let task = endpoints[registry] { return try await task.value }
        let task = Task { try await discover() }
        endpoints[registry] = task
        do {
            return try await task.value
        } catch {
            endpoints[registry] = nil
            throw error
        }
    }

    func caBundle(_ build: @escaping @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        if let bundleTask { return try await bundleTask.value }
        let task = Task { try build() }
        bundleTask = task
        return try await task.value
    }

    private static func key(_ registry: String, _ scope: String?) -> String { "\(registry)|\(scope ?? "")" }
    private static func basicKey(_ registry: String, _ repository: String?) -> String { "\(registry)|*basic*|\(repository ?? "")" }

    /// The cached `Authorization` value for a registry and scope: a token for that scope, or
    /// the Basic credentials for that repository. Basic is cached per repository, not per
    /// registry, because auth files may give `registry/namespace` keys different credentials.
    func authorization(registry: String, repository: String?, scope: String?) -> String? {
        for key in [Self.key(registry, scope), Self.basicKey(registry, repository)] {
            if let cached = authorizations[key], cached.expires > Date() { return cached.header }
        }
        return nil
    }

    /// Fetches (once, shared by concurrent callers) and stores an authorization.
    func refresh(registry: String, repository: String?, scope: String?, basic: Bool,
                 fetch: @escaping @Sendable () async throws -> CachedAuthorization) async throws {
        let key = basic ? Self.basicKey(registry, repository) : Self.key(registry, scope)
        if let task = inFlightTokens[key] {
            // Store it here too: this waiter may resume before the fetching caller does.
            authorizations[key] = try await task.value
            return
        }
        let task = Task { try await fetch() }
        inFlightTokens[key] = task
        defer { inFlightTokens[key] = nil }
        authorizations[key] = try await task.value
    }
}
