import FerryCore
import FerryHTTP
@testable import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 7): a hostile registry cannot make ferry send credentials somewhere unsafe,
/// loop forever, or read unbounded bodies.
@Suite(.serialized) struct HostileRegistryTests {
    static let credential = Credential(username: "ivy", password: "hostile-secret")

    static func client() -> RegistryClient {
        RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 1)),
                       credentials: StaticCredentials(credential))
    }

    /// A token realm at a link-local (cloud metadata) address, or plain http for an https
    /// registry, is refused. Checked on the function itself: a regression must not make the test
    /// send traffic anywhere but loopback.
    @Test(arguments: [
        ("http://169.254.169.254/token", "https://reg.example", false),
        ("http://[fe80::1]/token", "http://127.0.0.1:5000", false),
        ("http://auth.example/token", "https://reg.example", false),
        ("ftp://auth.example/token", "https://reg.example", false),
        ("https://auth.example/token", "https://reg.example", true),
        ("http://127.0.0.1:9/token", "http://127.0.0.1:5000", true),
    ])
    func tokenRealmsAreChecked(_ realm: String, _ registryBase: String, _ allowed: Bool) {
        let client = Self.client()
        let registry = String(registryBase.split(separator: "/").last ?? "")
        if allowed {
            #expect(throws: Never.self) { try client.validateRealm(realm, registryBaseURL: registryBase, registry: registry) }
        } else {
            #expect(throws: RegistryError.self) { try client.validateRealm(realm, registryBaseURL: registryBase, registry: registry) }
        }
    }

    /// A registry that paginates forever is cut off after the page limit, with an error rather
    /// than a silently shortened list.
    @Test func endlessPaginationIsBounded() async throws {
        let server = try await ScriptedServer([
            "GET /v2/a/b/tags/list": .init(body: #"{"tags":["t"]}"#, linkCounter: true),
        ])
        defer { server.stop() }
        await #expect(throws: RegistryError.self) {
            _ = try await Self.client().listTags(registry: server.host, repository: "a/b", maximumPages: 5)
        }
        #expect(server.requests().count == 5)
    }

    /// Rule (issue 15, item 13): a `Link` back to a page already read ends the listing; each
    /// tag comes back once. Before, the page was read 1,000 times and every tag listed as often.
    @Test func paginationLoopEndsAndTagsComeOnce() async throws {
        let server = try await ScriptedServer([
            "GET /v2/a/b/tags/list": .init(body: #"{"tags":["t","u","t"]}"#, linkNext: true),
        ])
        defer { server.stop() }
        let tags = try await Self.client().listTags(registry: server.host, repository: "a/b")
        #expect(tags == ["t", "u"])
        #expect(server.requests().count == 1, "\(server.requests())")
    }

    /// A manifest or error body larger than its limit is refused, not read to the end.
    @Test func oversizedBodiesAreRefused() async throws {
        let server = try await ScriptedServer([
            "GET /v2/a/big/manifests/": .init(headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"],
                                             body: String(repeating: "x", count: 1 << 20), repeatBody: 5),
        ])
        defer { server.stop() }
        await #expect(throws: RegistryError.self) {
            _ = try await Self.client().fetchManifest(try ImageReference(parsing: "\(server.host)/a/big:1"))
        }
    }

    /// A registry that lies in Docker-Content-Digest cannot make ferry accept other bytes: the
    /// digest is computed from the body.
    @Test func lyingDigestHeaderLoses() async throws {
        let body = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "a", count: 64))","size":2},"layers":[]}"#
        let claimed = "sha256:" + String(repeating: "b", count: 64)
        let server = try await ScriptedServer([
            "GET /v2/a/lie/manifests/": .init(headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json",
                                                        "Docker-Content-Digest": claimed], body: body),
        ])
        defer { server.stop() }
        let fetched = try await Self.client().fetchManifest(try ImageReference(parsing: "\(server.host)/a/lie:1"))
        #expect(fetched.digest == DigestHasher.digest(of: Array(body.utf8)))
        await #expect(throws: RegistryError.self) {
            _ = try await Self.client().fetchManifest(try ImageReference(parsing: "\(server.host)/a/lie@\(claimed)"))
        }
    }

    /// Rule (issue 15, item 2): a 401 from the host a registry redirected to is never answered.
    /// Answering it would send the registry's Basic credentials to whatever token realm that host
    /// names. The error names the host; the realm sees no request at all.
    @Test func challengeFromARedirectTargetIsNotAnswered() async throws {
        let realm = try await ScriptedServer([
            "GET /token": .init(headers: ["Content-Type": "application/json"], body: #"{"token":"stolen"}"#),
        ])
        defer { realm.stop() }
        let target = try await ScriptedServer([
            "GET /": .init(status: 401, headers: ["WWW-Authenticate": #"Bearer realm="http://\#(realm.host)/token",service="cdn""#]),
        ])
        defer { target.stop() }
        let registry = try await ScriptedServer([
            "GET /v2/a/b/manifests/": .init(status: 307, headers: ["Location": "http://\(target.host)/signed/manifest"]),
        ])
        defer { registry.stop() }
        do {
            _ = try await Self.client().fetchManifest(try ImageReference(parsing: "\(registry.host)/a/b:1"))
            Issue.record("a redirect target's 401 was answered")
        } catch let error as RegistryError {
            guard case .challengeFromRedirectTarget(_, let host) = error else { Issue.record("wrong error: \(error)"); return }
            #expect(host == target.host)
        }
        #expect(target.requests() == ["GET /signed/manifest"], "\(target.requests())")
        #expect(realm.requests().isEmpty, "the realm a redirect target named was asked: \(realm.requests())")
    }

    /// Rule (issue 21, item 1): a registry error shows every entry of the error body, not only
    /// the first (distribution answers a missing child with DIGEST_INVALID first and the cause,
    /// MANIFEST_BLOB_UNKNOWN, second).
    @Test func everyRegistryErrorIsShown() async throws {
        let body = #"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#
        let server = try await ScriptedServer(["GET /v2/a/b/manifests/": .init(status: 400, headers: ["Content-Type": "application/json"], body: body)])
        defer { server.stop() }
        do {
            _ = try await Self.client().fetchManifest(try ImageReference(parsing: "\(server.host)/a/b:1"))
            Issue.record("a 400 was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("DIGEST_INVALID") && text.contains("MANIFEST_BLOB_UNKNOWN: blob unknown to registry"), "\(text)")
        }
    }
}
