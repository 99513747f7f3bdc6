import FerryCore
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

/// Rule (issue 7, hostile registries): a foreign layer (non-distributable, with `urls`) is not
/// fetched: not from its URLs (so no credential can go there) and not from the registry; the
/// export reports it as not carried, verify lists it as omitted, and import pushes the manifest
/// that names it (registries accept foreign layers by URL).
@Suite(.serialized) struct ForeignLayerTests {
    @Test func foreignLayersAreNeverFetched() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: "wes", password: "foreign-pass"))
        defer { registry.stop() }
        // The URL host: any request reaching it would be recorded.
        let elsewhere = try RedirectTarget(upstream: registry.host)
        defer { elsewhere.stop() }
        let credentials = StaticCredentials(Credential(username: "wes", password: "foreign-pass"))
        let client = RegistryClient(http: HTTPClient(), credentials: credentials)
        let host = registry.host
        func upload(_ bytes: [UInt8], _ mediaType: MediaType) async throws -> Descriptor {
            let descriptor = Descriptor(mediaType: mediaType, digest: DigestHasher.digest(of: bytes), size: Int64(bytes.count))
            try await client.uploadBlob(registry: host, repository: "win/app", descriptor: descriptor, body: { .bytes(bytes) })
            return descriptor
        }
        let layer = try await upload(Array("a small app layer".utf8), .dockerLayerGzip)
        let config = try await upload(Array(#"{"architecture":"amd64","os":"windows","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8), .dockerConfig)
        let foreignBytes = Array(repeating: UInt8(7), count: 4096)
        let foreign = Descriptor(mediaType: .dockerForeignLayerGzip, digest: DigestHasher.digest(of: foreignBytes), size: 4096,
                                 urls: ["\(elsewhere.url)/windows/servercore.tar.gz"])
        let manifest = ImageManifest(mediaType: .dockerManifest, config: config, layers: [foreign, layer])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(manifest))
        try await client.putManifest(registry: host, repository: "win/app", reference: "1", bytes: bytes, mediaType: .dockerManifest,
                                     digest: DigestHasher.digest(of: bytes))

        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try await ExportFixtures.export(["\(host)/win/app:1"], from: client, to: .bundle(dir + "/b.tar"))
        #expect(report.omittedBlobs == [foreign.digest.description])
        #expect(elsewhere.requests().isEmpty, "a foreign layer URL was fetched: \(elsewhere.requests())")
        let verified = try await BundleVerifier().run(VerifyOptions(input: dir + "/b.tar"))
        #expect(verified.ok, "\(verified.problems.map(\.message))")
        #expect(verified.omitted.map(\.digest) == [foreign.digest.description])

        _ = try await Importer(client: client).run(ImportOptions(input: dir + "/b.tar", destination: try DestinationMapper(to: "\(host)/mirror")))
        let pushed = try await client.fetchManifest(try ImageReference(parsing: "\(host)/mirror/win/app:1"))
        #expect(pushed.bytes == bytes)
        #expect(elsewhere.requests().isEmpty)
    }
}
