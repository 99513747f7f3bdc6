import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 5): the referrers API answer is read as an OCI index (only manifest descriptors
/// kept, pagination followed); a registry without the API (404) is told apart, so the caller can
/// fall back to the `sha256-<hex>` tag.
@Suite struct ReferrersClientTests {
    static func client() -> RegistryClient {
        RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 1)))
    }

    static let subject = "sha256:" + String(repeating: "a", count: 64)

    @Test func referrersAPIAnswerIsRead() async throws {
        let sbom = "sha256:" + String(repeating: "b", count: 64)
        let body = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(sbom)","size":321,"artifactType":"application/spdx+json"},{"mediaType":"application/octet-stream","digest":"sha256:\#(String(repeating: "c", count: 64))","size":1}]}"#
        let server = try await ScriptedServer([
            "GET /v2/a/b/referrers/": .init(headers: ["Content-Type": "application/vnd.oci.image.index.v1+json"], body: body),
        ])
        defer { server.stop() }
        let found = try await Self.client().referrers(registry: server.host, repository: "a/b", digest: try Digest(parsing: Self.subject))
        #expect(found?.map(\.digest.description) == [sbom])
    }

    @Test func registryWithoutTheAPIGivesNil() async throws {
        let server = try await ScriptedServer([
            "GET /v2/a/b/tags/list": .init(body: #"{"tags":["1"]}"#),
        ])
        defer { server.stop() }
        let found = try await Self.client().referrers(registry: server.host, repository: "a/b", digest: try Digest(parsing: Self.subject))
        #expect(found == nil)
    }

    /// A referrers listing whose pages never end is an error; one whose `Link` loops back
    /// returns each referrer once.
    @Test func endlessReferrerPagesAreBounded() async throws {
        let body = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "d", count: 64))","size":2}]}"#
        let server = try await ScriptedServer([
            "GET /v2/a/b/referrers/": .init(body: body, linkNext: true),
        ])
        defer { server.stop() }
        let found = try await Self.client().referrers(registry: server.host, repository: "a/b", digest: try Digest(parsing: Self.subject), maximumPages: 4)
        #expect(found?.count == 1)
        let endless = try await ScriptedServer([
            "GET /v2/a/b/referrers/": .init(body: body, linkCounter: true),
        ])
        defer { endless.stop() }
        await #expect(throws: RegistryError.self) {
            _ = try await Self.client().referrers(registry: endless.host, repository: "a/b", digest: try Digest(parsing: Self.subject), maximumPages: 4)
        }
    }
}
