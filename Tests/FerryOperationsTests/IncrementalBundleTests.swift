import FerryArchive
import FerryCore
import FerryFormat
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

/// Rules (issue 5, incremental bundles): `--since` leaves out every config and layer an
/// earlier bundle carried and records the base; import checks the left-out blobs are in the
/// target before pushing anything and names what is missing; verify checks closure against
/// the bases given; a weekly rerun where one layer changed is about the size of that layer.
@Suite(.serialized) struct IncrementalBundleTests {
    static func export(_ references: [String], to path: String, since: [String] = []) async throws -> ExportReport {
        let exporter = Exporter(source: RegistrySource(client: ExportFixtures.client()), progress: { _ in })
        var options = ExportOptions(references: try references.map { try ImageReference(parsing: $0) },
                                    output: .bundle(path), platforms: [], jobs: 4)
        if !since.isEmpty { options.since = try BaseBundles.load(since) }
        return try await exporter.run(options)
    }

    /// Pushes `repository:tag`: the image of `from` with its last layer replaced by `size`
    /// fresh random bytes and a config that says so. Returns the new layer's size.
    static func pushWithOneNewLayer(_ registry: TestRegistry, from: String, repository: String, tag: String, size: Int) async throws {
        let client = ExportFixtures.client(registry)
        let fetched = try await client.fetchManifest(try ImageReference(parsing: "\(registry.host)/\(from)"))
        guard case .image(var manifest) = try fetched.parse() else { throw InspectionError("\(from) is not a single image") }
        var generator = SystemRandomNumberGenerator()
        let layerBytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let configBytes = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"week":"\#(UUID().uuidString)"}}}"#.utf8)
        let layer = Descriptor(mediaType: manifest.layers[manifest.layers.count - 1].mediaType, digest: DigestHasher.digest(of: layerBytes), size: Int64(size))
        let config = Descriptor(mediaType: manifest.config.mediaType, digest: DigestHasher.digest(of: configBytes), size: Int64(configBytes.count))
        for (descriptor, bytes) in [(layer, layerBytes), (config, configBytes)] {
            try await client.uploadBlob(registry: registry.host, repository: repository, descriptor: descriptor, body: { .bytes(bytes) })
        }
        manifest.layers[manifest.layers.count - 1] = layer
        manifest.config = config
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(manifest))
        try await client.putManifest(registry: registry.host, repository: repository, reference: tag, bytes: bytes,
                                     mediaType: fetched.mediaType, digest: DigestHasher.digest(of: bytes))
    }

    @Test func chainOfThreeBundles() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 71)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let all = corpus.images.map(\.reference)
        let firstWeek = corpus.images.filter { $0.repository == "apps/web" || $0.repository == "base/os" }.map(\.reference)

        // Week 1: two images. Week 2: everything, since week 1. Week 3: one layer changed.
        let b1 = try await Self.export(firstWeek, to: dir + "/week1.tar")
        // A base may be given as its content index alone.
        let index1 = dir + "/week1-ferry-index.json"
        try Data(try BaseBundles.contentIndexBytes(of: dir + "/week1.tar")).write(to: URL(fileURLWithPath: index1))
        let b2 = try await Self.export(all, to: dir + "/week2.tar", since: [index1])
        #expect(b2.baseBundles == [try #require(b1.contentIndexDigest)])
        #expect((b2.blobsFromBase ?? 0) > 0)
        let week2Index = try ContentIndex.decode(try BaseBundles.contentIndexBytes(of: dir + "/week2.tar"))
        let week1Index = try ContentIndex.decode(try BaseBundles.contentIndexBytes(of: dir + "/week1.tar"))
        let carriedInWeek1 = Set(week1Index.blobs.filter { !$0.mediaType.isManifest }.map(\.digest))
        let leftToWeek1 = Set((week2Index.base?.blobs ?? []).map(\.digest))
        #expect(!leftToWeek1.isEmpty && leftToWeek1.isSubset(of: carriedInWeek1))
        let carriedAgain = week2Index.blobs.filter { !$0.mediaType.isManifest && carriedInWeek1.contains($0.digest) }
        #expect(carriedAgain.isEmpty, "week 2 carries configs or layers that week 1 carried: \(carriedAgain.map(\.digest))")

        let newLayerSize = 256 * 1024
        try await Self.pushWithOneNewLayer(source, from: "apps/web:1.0", repository: "apps/web", tag: "1.1", size: newLayerSize)
        let b3 = try await Self.export(all + ["\(source.host)/apps/web:1.1"], to: dir + "/week3.tar", since: [dir + "/week2.tar"])
        let week3Index = try ContentIndex.decode(try BaseBundles.contentIndexBytes(of: dir + "/week3.tar"))
        let carried = week3Index.blobs.filter { !$0.mediaType.isManifest }
        #expect(carried.count == 2, "week 3 should carry the new layer and config only: \(carried.map(\.digest))")
        let size3 = try #require(FileSystem.fileSize(dir + "/week3.tar"))
        #expect(size3 < Int64(newLayerSize) + 64 * 1024, "week 3 bundle is \(size3) bytes for a \(newLayerSize)-byte change")
        #expect(size3 >= Int64(newLayerSize))

        // Verify: each alone is fine (it lists what it takes from bases); closure with --base.
        for (path, bases, ok) in [("week2.tar", [String](), true), ("week2.tar", ["week1.tar"], true),
                                  ("week3.tar", ["week2.tar"], true), ("week3.tar", ["week1.tar"], false),
                                  ("week3.tar", ["week1.tar", "week2.tar"], true)] {
            var options = VerifyOptions(input: "\(dir)/\(path)")
            if !bases.isEmpty { options.base = try BaseBundles.load(bases.map { "\(dir)/\($0)" }) }
            let report = try await BundleVerifier().run(options)
            #expect(report.ok == ok, "\(path) --base \(bases): \(report.problems.map(\.message))")
            #expect((report.fromBase?.count ?? 0) > 0)
        }

        // Import week 3 into an empty registry: refused before anything is sent, missing listed.
        let proxy = try FaultProxy(upstream: target.host, rules: [])
        defer { proxy.stop() }
        do {
            _ = try await Importer(client: ExportFixtures.client(target))
                .run(ImportOptions(input: dir + "/week3.tar", destination: try DestinationMapper(to: proxy.address)))
            Issue.record("week 3 imported into an empty registry")
        } catch {
            #expect("\(error)".contains("incremental") && "\(error)".contains("Import the base bundle first"), "\(error)")
        }
        #expect(!proxy.requests().contains { ["PUT", "POST", "PATCH"].contains($0.method) }, "import wrote before refusing")

        // In order, the chain arrives whole with every digest.
        for week in ["week1.tar", "week2.tar", "week3.tar"] {
            _ = try await Importer(client: ExportFixtures.client(target))
                .run(ImportOptions(input: "\(dir)/\(week)", destination: try DestinationMapper(to: target.host)))
        }
        for image in corpus.images {
            let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/\(image.repository):\(image.tag)"))
            #expect(fetched.digest.description == image.digest)
        }
        let sourceDigest = try await ExportFixtures.client(source).fetchManifest(try ImageReference(parsing: "\(source.host)/apps/web:1.1")).digest
        let targetDigest = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/apps/web:1.1")).digest
        #expect(sourceDigest == targetDigest)

        // Inspect says what the bundle leaves to its bases.
        let inspected = try await Inspector.inspect(path: dir + "/week3.tar")
        #expect(inspected.baseBundles == [try #require(b2.contentIndexDigest)])
        #expect((inspected.blobsFromBase ?? 0) > 0)
    }
}
