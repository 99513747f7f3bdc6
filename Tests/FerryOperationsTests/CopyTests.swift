import FerryArchive
import FerryCore
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 6, direct copy): registry to registry through the same engine, streamed (no
/// local disk), every digest unchanged, existing blobs skipped so a second run sends nothing,
/// faults survived, and on one registry blobs are mounted rather than sent.
@Suite(.serialized) struct CopyTests {
    static func requests(_ corpus: PushedCorpus, to target: String, prefix: String = "mirror") throws -> [CopyRequest] {
        try corpus.images.map {
            CopyRequest(source: try ImageReference(parsing: $0.reference),
                        destinations: [try ImageReference(parsing: "\(target)/\(prefix)/\($0.repository):\($0.tag)")])
        }
    }

    @Test func copyStreamsBetweenRegistriesAndRerunSendsNothing() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start(auth: .token(user: "cora", password: "copy-pass"))
        defer { target.stop() }
        // Layers of a few MB, so the 4 MiB pipe fills, wraps around and blocks its writer.
        let corpus = try await source.push(profile: "bench", seed: 91, scaleMB: 40)
        // Faults on the source: a reset mid-body (resumed with Range into the same pipe) and a
        // 200 answer to that Range (the pipe cannot rewind an upload: the blob copy restarts).
        let proxy = try FaultProxy(upstream: source.host, rules: [
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .resetAfterBodyBytes(300_000), times: 2),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .ignoreRange, times: 1),
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .status(503), times: 1),
        ])
        defer { proxy.stop() }
        let credentials = StaticCredentials(Credential(username: "cora", password: "copy-pass"))
        let client = RegistryClient(http: HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 10)),
                                    configuration: RegistryConfiguration(certDirectory: target.certDirectory,
                                                                         retry: RetryPolicy(maximumAttempts: 6, baseDelay: 0.05, maximumDelay: 1)),
                                    credentials: credentials)
        let requests = try corpus.images.map {
            CopyRequest(source: try ImageReference(parsing: "\(proxy.address)/\($0.repository):\($0.tag)"),
                        destinations: [try ImageReference(parsing: "\(target.host)/mirror/\($0.repository):\($0.tag)")])
        }
        var options = CopyOptions(requests: requests)
        options.jobs = 4
        let copier = Copier(source: RegistrySource(client: client), client: client)
        let report = try await copier.run(options)
        #expect(report.blobsUploaded > 0)
        for image in corpus.images {
            let copied = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/mirror/\(image.repository):\(image.tag)"))
            #expect(copied.digest.description == image.digest, "\(image.reference)")
        }
        #expect(proxy.requests().contains { $0.appliedFault?.contains("reset") == true })

        let again = try await copier.run(options)
        #expect(again.blobsUploaded == 0 && again.bytesUploaded == 0 && again.manifestsPushed == 0 && again.tagsPushed == 0)
    }

    @Test func copyWithinOneRegistryMountsInsteadOfSending() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 92)
        let client = ExportFixtures.client(registry)
        var options = CopyOptions(requests: try Self.requests(corpus, to: registry.host, prefix: "copy"))
        options.platforms = [try Platform(parsing: "linux/amd64")]
        let report = try await Copier(source: RegistrySource(client: client), client: client).run(options)
        #expect(report.bytesUploaded < 16 * 1024, "layers should be mounted, not sent: \(report.bytesUploaded) bytes sent")
        #expect(report.blobsMounted > 0)
        // One platform: the amd64 manifest of the multi-arch image, digest unchanged.
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let amd64 = try #require(multi.manifest(platform: "linux/amd64"))
        let copied = try await client.fetchManifest(try ImageReference(parsing: "\(registry.host)/copy/apps/multi:2.0"))
        #expect(copied.digest.description == amd64.digest)
    }
}
