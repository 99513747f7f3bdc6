import FerryCore
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 7, faults): a stalled transfer (a slow-loris body, a hung upload) is cut by the
/// low-speed timeout and retried; export and import both complete with identical digests.
@Suite(.serialized) struct StallTests {
    static func client(_ registry: TestRegistry? = nil) -> RegistryClient {
        // Anything under 1 byte/s for 2 s counts as stalled (the default is 60 s).
        let http = HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 8, lowSpeedLimitBytesPerSecond: 1,
                                                               lowSpeedTimeSeconds: 2))
        return RegistryClient(http: http, configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 5, baseDelay: 0.05, maximumDelay: 0.5)))
    }

    @Test func stalledDownloadAndUploadAreCutAndRetried() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 95)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let downloads = try FaultProxy(upstream: source.host, rules: [
            ProxyRule(method: "GET", pathContains: "/blobs/", fault: .stallAfterBodyBytes(200, seconds: 40), times: 1),
        ])
        defer { downloads.stop() }
        let references = corpus.images.map { "\(downloads.address)/\($0.repository):\($0.tag)" }
        let exporter = Exporter(source: RegistrySource(client: Self.client()))
        _ = try await exporter.run(ExportOptions(references: try references.map { try ImageReference(parsing: $0) },
                                                 output: .bundle(dir + "/b.tar"), platforms: [], jobs: 4))
        // Cut, not waited out: the stalled blob was asked for again (a download that sat out the
        // 40 s stall would have completed without a second request). Checked by requests, not by
        // the clock: the whole suite on two cores stretched this export past 60 s in CI (the
        // stall was cut there too; every other check passed).
        let stalled = try #require(downloads.requests().first { $0.appliedFault?.hasPrefix("stall") == true })
        #expect(downloads.requests().filter { $0.target == stalled.target }.count >= 2, "the stalled download was not retried")

        let uploads = try FaultProxy(upstream: target.host, rules: [
            ProxyRule(method: "PUT", pathContains: "/blobs/uploads/", fault: .hold(seconds: 30), times: 1),
        ])
        defer { uploads.stop() }
        let report = try await Importer(client: Self.client()).run(ImportOptions(input: dir + "/b.tar", destination: try DestinationMapper(to: uploads.address)))
        #expect(uploads.requests().contains { $0.appliedFault?.hasPrefix("hold") == true })
        // Cut, not waited out, and checked by requests as for the export: a hold sat out would
        // end in one PUT per uploaded blob; the cut one is sent again. (A clock bound of 25 s
        // failed once in CI at 29 s with the hold cut: the suite loads both cores.)
        let puts = uploads.requests().filter { $0.method == "PUT" && $0.target.contains("/blobs/uploads/") }
        #expect(puts.count >= report.blobsUploaded + 1, "the held upload was not retried: \(puts.count) PUTs for \(report.blobsUploaded) blobs")
        for image in corpus.images {
            let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/\(image.repository):\(image.tag)"))
            #expect(fetched.digest.description == image.digest)
        }
    }
}
