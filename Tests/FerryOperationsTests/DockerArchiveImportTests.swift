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

#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 3): docker-archives without registry manifests (skopeo's docker-archive:,
/// docker save before 25) are imported with a manifest ferry builds: configs byte for byte,
/// layers compressed deterministically and checked against the config's diff_ids.
@Suite(.serialized) struct DockerArchiveImportTests {
    @Test(arguments: LayerCompression.allCases)
    func importsSkopeoDockerArchive(_ compression: LayerCompression) async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 51)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        try? FileManager.default.removeItem(atPath: "/var/lib/containers/cache/blob-info-cache-v1.boltdb")
        _ = try Skopeo.run(["copy", "--src-tls-verify=false", "docker://\(web.reference)", "docker-archive:\(dir)/da.tar:example.com/team/web:1.0"])

        let importer = Importer(client: ExportFixtures.client(target))
        let options = ImportOptions(input: dir + "/da.tar", destination: try DestinationMapper(to: target.host), layerCompression: compression)
        let report = try await importer.run(options)
        #expect(report.images.map(\.destination) == ["\(target.host)/team/web:1.0"])
        #expect(report.images.allSatisfy { $0.builtManifest })

        let pushed = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/team/web:1.0"))
        guard case .image(let manifest) = try pushed.parse() else { Issue.record("not an image manifest"); return }
        let original = try #require(web.manifests.first)
        #expect(manifest.config.digest.description == original.config.digest, "config travels byte for byte")
        #expect(manifest.layers.count == original.layers.count)
        switch compression {
        case .gzip: #expect(manifest.layers.allSatisfy { $0.mediaType == .dockerLayerGzip })
        case .zstd: #expect(manifest.layers.allSatisfy { $0.mediaType == .ociLayerZstd })
        // Uncompressed layers are addressed by their diff_ids.
        case .none: #expect(manifest.layers.map(\.digest.description) == original.layers.compactMap(\.diffID))
        }
        // Deterministic: the same archive imported again sends nothing.
        let again = try await importer.run(options)
        #expect(again.blobsUploaded == 0 && again.manifestsPushed == 0 && again.tagsPushed == 0)
        #expect(again.images.map(\.digest) == report.images.map(\.digest))
    }

    /// Rule: a layer that does not match its config's diff_id is damage, named, before sending.
    @Test func layerNotMatchingDiffIDIsRefused() async throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layer = Array("not really a tar, but bytes".utf8)
        let wrongDiffID = DigestHasher.digest(of: Array("something else".utf8))
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(wrongDiffID)"]}}"#.utf8)
        let configName = DigestHasher.digest(of: config).hex + ".json"
        let manifest = Array(#"[{"Config":"\#(configName)","RepoTags":["example.com/legacy:1"],"Layers":["abc/layer.tar"]}]"#.utf8)
        let path = dir + "/legacy.tar"
        var layout = TarLayout()
        let file = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        for (name, bytes) in [("abc/layer.tar", layer), (configName, config), ("manifest.json", manifest)] {
            let slot = try layout.append(TarMember(name: name, size: Int64(bytes.count)))
            try file.write(slot.header, at: slot.headerOffset)
            try file.write(bytes, at: slot.dataOffset)
        }
        try file.write(TarHeader.endOfArchive, at: layout.endOfMembers)
        try file.close()

        let proxy = try FaultProxy(upstream: "127.0.0.1:9", rules: [])
        defer { proxy.stop() }
        do {
            _ = try await Importer(client: RegistryClient(http: FerryHTTP.HTTPClient())).run(
                ImportOptions(input: path, destination: try DestinationMapper(to: proxy.address)))
            Issue.record("accepted a layer that does not match its diff_id")
        } catch {
            #expect("\(error)".contains("abc/layer.tar"), "\(error)")
            #expect("\(error)".contains(wrongDiffID.description), "\(error)")
        }
        #expect(proxy.requests().isEmpty)
    }

    /// The spec's example docker-archive (written by skopeo, with legacy symlinked layers).
    @Test func specExampleConverts() async throws {
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let report = try await Importer(client: ExportFixtures.client(target)).run(
            ImportOptions(input: Fixtures.url("docker-archive/examples/skopeo-docker-archive.tar").path,
                          destination: try DestinationMapper(to: "\(target.host)/ex")))
        #expect(report.images.count == 1)
        let name = try #require(report.images.first?.destination)
        _ = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: name))
    }
}

extension DockerArchiveImportTests {
    /// Rule: skopeo's dir: format, packed into a tar, imports with its digests (name via --name);
    /// a docker-archive whose element carries several RepoTags imports under each of them.
    @Test func skopeoDirTarAndSeveralTags() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 52)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let multi = try #require(corpus.image("apps/multi:2.0"))
        try? FileManager.default.removeItem(atPath: "/var/lib/containers/cache/blob-info-cache-v1.boltdb")
        _ = try Skopeo.run(["copy", "--all", "--src-tls-verify=false", "docker://\(multi.reference)", "dir:\(dir)/skdir"])
        _ = try Tool.run("/usr/bin/tar", ["-cf", dir + "/skdir.tar", "-C", dir + "/skdir", "."])
        let importer = Importer(client: ExportFixtures.client(target))

        let unnamed = try await importer.run(ImportOptions(input: dir + "/skdir.tar", destination: try DestinationMapper(to: target.host), dryRun: true))
        #expect(unnamed.images.isEmpty && unnamed.unnamed == [multi.digest])
        var options = ImportOptions(input: dir + "/skdir.tar", destination: try DestinationMapper(to: target.host))
        options.names = [try ImageReference(parsing: "example.com/from/dir:1")]
        _ = try await importer.run(options)
        #expect(try await ExportFixtures.client(target).manifestDigest(registry: target.host, repository: "from/dir", reference: "1")?.description == multi.digest)

        let web = try #require(corpus.image("apps/web:1.0"))
        _ = try Skopeo.run(["copy", "--src-tls-verify=false", "--additional-tag", "example.com/team/web:extra",
                            "docker://\(web.reference)", "docker-archive:\(dir)/tags.tar:example.com/team/web:1.0"])
        let report = try await importer.run(ImportOptions(input: dir + "/tags.tar", destination: try DestinationMapper(to: target.host)))
        #expect(Set(report.images.map(\.destination)) == ["\(target.host)/team/web:1.0", "\(target.host)/team/web:extra"])
        #expect(Set(report.images.map(\.digest)).count == 1)
    }
}

extension DockerArchiveImportTests {
    /// Rule (issue 4): verify works on foreign docker-archives too: skopeo's (legacy layout,
    /// uncompressed layers) verifies clean, and a flipped byte in a layer is named with its image.
    @Test func verifyLegacyDockerArchive() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 53)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        try? FileManager.default.removeItem(atPath: "/var/lib/containers/cache/blob-info-cache-v1.boltdb")
        let archive = dir + "/legacy.tar"
        _ = try Skopeo.run(["copy", "--src-tls-verify=false", "docker://\(web.reference)", "docker-archive:\(archive):example.com/team/web:1.0"])

        let clean = try await BundleVerifier().run(VerifyOptions(input: archive))
        #expect(clean.ok, "\(clean.problems)")
        #expect(clean.kind == .dockerArchive)
        #expect(clean.images.map(\.name) == ["example.com/team/web:1.0"])

        // Damage the last layer's data (skopeo names uncompressed layers <diffid>.tar).
        let diffID = try #require(web.manifests.first?.layers.last?.diffID)
        let scanned = try TarScanner(file: PositionalFile(path: archive, flags: O_RDONLY)).scan().members
        let member = try #require(scanned.first { $0.name.hasSuffix(String(diffID.dropFirst(7)) + ".tar") && $0.kind == .file })
        let file = try PositionalFile(path: archive, flags: O_RDWR)
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: member.dataOffset + member.size / 2) }
        byte[0] ^= 0x10
        try file.write(byte, at: member.dataOffset + member.size / 2)
        try file.close()
        let damaged = try await BundleVerifier().run(VerifyOptions(input: archive))
        #expect(!damaged.ok)
        #expect(damaged.problems.first?.affectedImages == ["example.com/team/web:1.0"])
        #expect(damaged.problems.first?.message.contains(diffID) == true, "\(damaged.problems)")
    }
}
