import FerryCore
import FerryOperations
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 4): inspect shows every image of a bundle with its platforms and sizes, and the
/// same dedup savings the export reported; for a registry image, what skopeo inspect shows.
@Suite(.serialized) struct InspectTests {
    @Test func bundleAndRegistryViews() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 81)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try await ExportFixtures.export(corpus.images.map(\.reference), from: ExportFixtures.client(), to: .bundle(dir + "/b.tar"))

        let report = try await Inspector.inspect(path: dir + "/b.tar")
        #expect(report.kind == "ferry-bundle")
        #expect(report.images.map(\.name) == corpus.images.map(\.reference))
        #expect(report.images.map(\.digest) == corpus.images.map(\.digest))
        #expect(report.dedupSavedBytes == export.dedupSavedBytes)
        #expect(report.uniqueBytes == export.uniqueBytes)
        #expect(report.contentIndexDigest == export.contentIndexDigest)
        let multi = try #require(report.images.first { $0.name.hasSuffix("apps/multi:2.0") })
        #expect(Set(multi.platforms) == ["linux/amd64", "linux/arm64/v8", "linux/s390x"])
        #expect(multi.layers == 4, "one shared base layer and one own layer per platform")

        let remote = try await Inspector.inspect(reference: try ImageReference(parsing: registry.reference("apps/web:1.0")),
                                                 client: ExportFixtures.client(), tags: true)
        #expect(remote.digest == corpus.image("apps/web:1.0")?.digest)
        #expect(Set(remote.tags ?? []) == ["1.0", "latest"])
        #expect(remote.os == "linux" && remote.architecture == "amd64")
        #expect(remote.layers?.count == corpus.image("apps/web:1.0")?.manifests.first?.layers.count)
        let index = try await Inspector.inspect(reference: try ImageReference(parsing: registry.reference("legacy/list:4")),
                                                client: ExportFixtures.client(), tags: false)
        #expect(Set(index.platforms?.compactMap(\.platform) ?? []) == ["linux/amd64", "linux/arm/v7"])
    }
}
