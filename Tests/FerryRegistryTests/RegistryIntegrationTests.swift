import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule: ferry speaks the distribution API to a REAL registry (Debian's docker-registry) in
/// every auth mode, and everything it fetches matches what an independent pusher stored.
@Suite(.serialized) struct RegistryIntegrationTests {
    static let modes: [(String, RegistryAuth, Bool)] = [
        ("anonymous", .anonymous, false),
        ("htpasswd", .htpasswd(user: "alice", password: "s3cret-pass"), false),
        ("token", .token(user: "bob", password: "t0ken-pass"), false),
        ("tls+htpasswd", .htpasswd(user: "carol", password: "tls-pass"), true),
    ]

    @Test(arguments: modes.map(\.0))
    func fetchesWhatWasPushed(_ mode: String) async throws {
        let (_, auth, tls) = try #require(Self.modes.first { $0.0 == mode })
        let registry = try await TestRegistry.start(auth: auth, tls: tls)
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 7)
        let client = TestClients.client(for: registry)

        for image in corpus.images {
            let reference = try ImageReference(parsing: image.reference)
            let fetched = try await client.fetchManifest(reference)
            #expect(fetched.digest.description == image.digest, "\(image.reference)")
            #expect(fetched.mediaType.rawValue == image.mediaType)
            // By digest too: verified against the requested digest.
            let pinned = try await client.fetchManifest(reference.with(tag: nil, digest: fetched.digest))
            #expect(pinned.bytes == fetched.bytes)
        }
        let web = try #require(corpus.image("apps/web:1.0"))
        let layer = try #require(web.manifests.first?.layers.first)
        let target = CollectingTarget()
        try await client.fetchBlob(registry: registry.host, repository: "apps/web",
                                   descriptor: Descriptor(mediaType: MediaType(layer.mediaType), digest: try Digest(parsing: layer.digest),
                                                          size: Int64(layer.size)),
                                   into: target)
        #expect(DigestHasher.digest(of: target.data).description == layer.digest)
        let tags = try await client.listTags(registry: registry.host, repository: "apps/web")
        #expect(Set(tags) == ["1.0", "latest"])
    }

    /// Rule: tokens are cached per repository scope and reused by parallel requests.
    @Test func tokensAreCachedPerScope() async throws {
        let registry = try await TestRegistry.start(auth: .token(user: "bob", password: "pw"))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 8)
        let before = try await registry.tokenStats().tokensIssued
        let client = TestClients.client(for: registry)
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let reference = try ImageReference(parsing: multi.reference)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for child in multi.manifests {
                group.addTask { _ = try await client.fetchManifest(reference.with(tag: nil, digest: try Digest(parsing: child.digest))) }
            }
            try await group.waitForAll()
        }
        _ = try await client.fetchManifest(reference)
        let issued = try await registry.tokenStats().tokensIssued - before
        #expect(issued == 1, "one repository scope should need one token, got \(issued)")
    }

    /// Rule: an expired token is replaced after a 401, transparently.
    @Test func refreshesExpiredTokens() async throws {
        let registry = try await TestRegistry.start(auth: .token(user: "bob", password: "pw", expiresIn: 1))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 9)
        let client = TestClients.client(for: registry)
        let reference = try ImageReference(parsing: try #require(corpus.image("base/os:1")).reference)
        _ = try await client.fetchManifest(reference)
        try await Task.sleep(nanoseconds: 2_500_000_000)
        _ = try await client.fetchManifest(reference)
        #expect(try await registry.tokenStats().tokensIssued >= 2)
    }

    @Test(arguments: ["htpasswd", "token"])
    func wrongPasswordIsUnauthorized(_ mode: String) async throws {
        let auth: RegistryAuth = mode == "token" ? .token(user: "bob", password: "right") : .htpasswd(user: "bob", password: "right")
        let registry = try await TestRegistry.start(auth: auth)
        defer { registry.stop() }
        _ = try await registry.push(seed: 10)
        let client = TestClients.client(for: registry, credentials: .some(Credential(username: "bob", password: "wrong-pw")))
        do {
            _ = try await client.fetchManifest(try ImageReference(parsing: registry.reference("base/os:1")))
            Issue.record("expected unauthorized")
        } catch let error as RegistryError {
            guard case .unauthorized = error else { Issue.record("wrong error \(error)"); return }
            #expect(!error.description.contains("wrong-pw"))
        }
    }

    /// Rule: TLS is verified against the system CAs plus --cert-dir; a loopback registry with
    /// TLS never silently falls back to plain HTTP when verification fails.
    @Test func tlsVerification() async throws {
        let registry = try await TestRegistry.start(auth: .anonymous, tls: true)
        defer { registry.stop() }
        _ = try await registry.push(seed: 11)
        let reference = try ImageReference(parsing: registry.reference("base/os:1"))

        _ = try await TestClients.client(for: registry).fetchManifest(reference)

        let untrusting = RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 1)))
        await #expect(throws: RegistryError.self) { try await untrusting.fetchManifest(reference) }

        let insecure = RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(tlsVerify: false))
        _ = try await insecure.fetchManifest(reference)
    }

    /// Rule: a blob download redirected to another host carries no Authorization header, and
    /// the signed query string of the redirect never appears in errors.
    @Test func redirectToAnotherHostDropsAuthorization() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: "dave", password: "redirect-pass"))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 12)
        let target = try RedirectTarget(upstream: registry.host, upstreamBasicAuth: (user: "dave", password: "redirect-pass"))
        defer { target.stop() }
        let proxy = try FaultProxy(upstream: registry.host,
                                   rules: [ProxyRule(method: "GET", pathContains: "/blobs/sha256:", fault: .redirectToTarget, times: Int.max)],
                                   redirectTarget: target)
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient(), credentials: StaticCredentials(Credential(username: "dave", password: "redirect-pass")))
        let layer = try #require(corpus.image("apps/web:1.0")?.manifests.first?.layers.last)
        // The manifest fetch meets the registry's 401 and makes the client send credentials.
        _ = try await client.fetchManifest(try ImageReference(parsing: "\(proxy.address)/apps/web:1.0"))
        let collecting = CollectingTarget()
        try await client.fetchBlob(registry: proxy.address, repository: "apps/web",
                                   descriptor: Descriptor(mediaType: MediaType(layer.mediaType), digest: try Digest(parsing: layer.digest),
                                                          size: Int64(layer.size)),
                                   into: collecting)
        #expect(DigestHasher.digest(of: collecting.data).description == layer.digest)
        let redirected = target.requests()
        #expect(!redirected.isEmpty)
        #expect(redirected.allSatisfy { $0.headers["authorization"] == nil }, "\(redirected)")
        // The original request did carry credentials: the test can fail.
        #expect(proxy.requests().contains { $0.target.contains("/blobs/") && $0.headers["authorization"] != nil })
    }

    /// Rule: 500s, 429 with Retry-After and connection resets are retried; an interrupted
    /// download resumes with Range; a 200 answer to a Range request restarts from zero.
    @Test func retriesAndResumes() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 13)
        let layer = try #require(corpus.image("apps/web:1.0")?.manifests.first?.layers.max { $0.size < $1.size })
        let descriptor = Descriptor(mediaType: MediaType(layer.mediaType), digest: try Digest(parsing: layer.digest), size: Int64(layer.size))
        let cut = max(1, layer.size / 3)
        let proxy = try FaultProxy(upstream: registry.host, rules: [
            ProxyRule(method: "GET", pathContains: "/manifests/", fault: .status(500), times: 2),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .status(429, retryAfterSeconds: 1), times: 1),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .resetAfterBodyBytes(cut), times: 1),
        ])
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient(),
                                    configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 5, baseDelay: 0.05)))
        let manifest = try await client.fetchManifest(try ImageReference(parsing: "\(proxy.address)/apps/web:1.0"))
        #expect(manifest.digest.description == corpus.image("apps/web:1.0")?.digest)

        let resumed = CollectingTarget()
        try await client.fetchBlob(registry: proxy.address, repository: "apps/web", descriptor: descriptor, into: resumed)
        #expect(DigestHasher.digest(of: resumed.data) == descriptor.digest)
        #expect(resumed.restarts == 0)
        let blobRequests = proxy.requests().filter { $0.target.contains("/blobs/") }
        #expect(blobRequests.contains { $0.headers["range"] == "bytes=\(cut)-" }, "\(blobRequests)")

        proxy.setRules([
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .resetAfterBodyBytes(cut), times: 1),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .ignoreRange, times: 1),
        ])
        let restarted = CollectingTarget()
        try await client.fetchBlob(registry: proxy.address, repository: "apps/web", descriptor: descriptor, into: restarted)
        #expect(DigestHasher.digest(of: restarted.data) == descriptor.digest)
        #expect(restarted.restarts == 1)

        // A 206 whose Content-Range does not start where we asked is refused, never appended.
        proxy.setRules([
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .resetAfterBodyBytes(cut), times: 1),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .rangeFromZero, times: 1),
        ])
        let lied = CollectingTarget()
        do {
            try await client.fetchBlob(registry: proxy.address, repository: "apps/web", descriptor: descriptor, into: lied)
            // Accepted only if the lie was not appended: the bytes must still hash right.
            #expect(DigestHasher.digest(of: lied.data) == descriptor.digest)
        } catch let error as RegistryError {
            guard case .badContentRange = error else { throw error }
            #expect(lied.data.count == cut, "bytes of the wrong range were appended")
        }
        #expect(proxy.requests().contains { $0.appliedFault == "rangeFromZero" })
    }

    /// Rule: tag lists follow `Link` pagination to the end.
    @Test func tagListsArePaginated() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        _ = try await registry.push(seed: 15)
        let client = TestClients.client(for: registry)
        let tags = try await client.listTags(registry: registry.host, repository: "apps/web", pageSize: 1)
        #expect(tags.sorted() == ["1.0", "latest"])
    }

    /// Rule: a credential helper named in the auth file is run (`docker-credential-NAME get`
    /// with the server on stdin) and its answer is used.
    @Test func credentialHelperIsUsed() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: "gina", password: "helper-pass"))
        defer { registry.stop() }
        _ = try await registry.push(seed: 16)
        let dir = NSTemporaryDirectory() + "ferry-helper-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let helper = dir + "/docker-credential-fertest"
        try """
        #!/bin/sh
        read server
        [ "$1" = get ] && [ "$server" = "\(registry.host)" ] || exit 3
        printf '{"ServerURL":"%s","Username":"gina","Secret":"helper-pass"}' "$server"
        """.write(toFile: helper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
        let authFile = dir + "/config.json"
        try #"{"credHelpers":{"\#(registry.host)":"fertest"}}"#.write(toFile: authFile, atomically: true, encoding: .utf8)
        let file = try AuthFile(path: authFile, helperDirectories: [dir])
        let client = RegistryClient(http: HTTPClient(), credentials: file)
        let manifest = try await client.fetchManifest(try ImageReference(parsing: registry.reference("base/os:1")))
        #expect(manifest.bytes.count > 0)
    }

    /// Rule: a manifest fetched by digest must hash to that digest.
    @Test func manifestDigestIsVerified() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 14)
        let client = TestClients.client(for: registry)
        let other = try #require(corpus.image("base/os:1")?.digest)
        // Ask repository apps/web for base/os's digest: not found there → an error, never other bytes.
        await #expect(throws: RegistryError.self) {
            _ = try await client.fetchManifest(try ImageReference(parsing: registry.reference("apps/web@\(other)")))
        }
    }
}
