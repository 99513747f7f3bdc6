import FerryArchive
import FerryCore
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

/// Rule (issue 3): `ferry import` pushes a bundle into a registry byte for byte, blobs before
/// manifests before tags, idempotently, and refuses damaged or hostile input before sending.
@Suite(.serialized) struct ImportIntegrationTests {
    /// Exports the small corpus of `source` into a bundle in `dir`.
    static func exportedBundle(from source: TestRegistry, seed: UInt64, dir: String) async throws -> (PushedCorpus, String) {
        let corpus = try await source.push(seed: seed)
        let path = dir + "/bundle.tar"
        _ = try await ExportFixtures.export(corpus.images.map(\.reference), from: ExportFixtures.client(), to: .bundle(path))
        return (corpus, path)
    }

    /// Flips a byte inside the layer only apps/web uses; returns that layer.
    static func damageOwnLayerOfWeb(_ corpus: PushedCorpus, bundle: String) throws -> PushedDescriptor {
        let layer = try #require(corpus.image("apps/web:1.0")?.manifests.first?.layers.last)
        let member = try #require(try BundleInspection(path: bundle).members.first { $0.name.hasSuffix(layer.digest.dropFirst(7)) })
        let file = try PositionalFile(path: bundle, flags: O_RDWR)
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: member.dataOffset + 10) }
        byte[0] ^= 0xff
        try file.write(byte, at: member.dataOffset + 10)
        try file.close()
        return layer
    }

    static func importer(_ registry: TestRegistry) -> Importer {
        Importer(client: ExportFixtures.client(registry))
    }

    @Test func roundTripKeepsEveryDigestAndSecondRunSendsNothing() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start(auth: .htpasswd(user: "ivan", password: "import-pass"))
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(from: source, seed: 41, dir: dir)
        let proxy = try FaultProxy(upstream: target.host, rules: [])
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient(), credentials: StaticCredentials(Credential(username: "ivan", password: "import-pass")))

        let report = try await Importer(client: client).run(ImportOptions(input: bundle, destination: try DestinationMapper(to: "\(proxy.address)/mirror")))
        #expect(report.images.count == corpus.images.count)
        #expect(report.blobsMounted > 0, "shared base layers should be mounted across repositories")
        for image in corpus.images {
            let destination = try ImageReference(parsing: "\(target.host)/mirror/\(image.repository):\(image.tag)")
            let fetched = try await ExportFixtures.client(target).fetchManifest(destination)
            #expect(fetched.digest.description == image.digest, "\(destination)")
        }
        // Order: every blob upload finished before the first manifest was pushed.
        let log = proxy.requests()
        let lastBlob = try #require(log.lastIndex { $0.method == "PUT" && $0.target.contains("/blobs/uploads/") })
        let firstManifest = try #require(log.firstIndex { $0.method == "PUT" && $0.target.contains("/manifests/") })
        #expect(lastBlob < firstManifest)
        // Tags come after the digests they point at.
        for image in corpus.images {
            let tagPut = log.firstIndex { $0.method == "PUT" && $0.target.hasSuffix("/mirror/\(image.repository)/manifests/\(image.tag)") }
            let digestPut = log.firstIndex { $0.method == "PUT" && $0.target.hasSuffix("/mirror/\(image.repository)/manifests/\(image.digest)") }
            if let tagPut, let digestPut { #expect(digestPut < tagPut) }
        }

        proxy.clearRequests()
        let again = try await Importer(client: client).run(ImportOptions(input: bundle, destination: try DestinationMapper(to: "\(proxy.address)/mirror")))
        #expect(again.blobsUploaded == 0 && again.blobsMounted == 0 && again.manifestsPushed == 0 && again.tagsPushed == 0)
        let writes = proxy.requests().filter { ["POST", "PUT", "PATCH", "DELETE"].contains($0.method) }
        #expect(writes.isEmpty, "second import sent \(writes)")
    }

    /// Rule: --flatten drops leading path components; --include selects by full source name;
    /// --dry-run sends nothing; chunked uploads work.
    @Test func mappingFilteringDryRunAndChunks() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(from: source, seed: 42, dir: dir)

        let dry = try await Self.importer(target).run(ImportOptions(input: bundle, destination: try DestinationMapper(to: target.host),
                                                                   dryRun: true))
        #expect(dry.images.count == corpus.images.count)
        #expect(try await target.catalog().isEmpty)

        let filter = ImageFilter(include: ["*/apps/*"], exclude: ["*:latest"])
        let proxy = try FaultProxy(upstream: target.host, rules: [])
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient())
        let report = try await Importer(client: client).run(ImportOptions(input: bundle, destination: try DestinationMapper(to: "\(proxy.address)/flat", flatten: 1),
                                                                         filter: filter, chunkSize: 1024))
        #expect(proxy.requests().contains { $0.method == "PATCH" }, "chunked uploads use PATCH")
        #expect(Set(report.images.map(\.destination)) == ["\(proxy.address)/flat/web:1.0", "\(proxy.address)/flat/multi:2.0"])
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/flat/multi:2.0"))
        #expect(fetched.digest.description == multi.digest)
        #expect(Set(try await target.catalog()) == ["flat/web", "flat/multi"])
    }

    /// Rule: foreign inputs work: an oci-archive written by skopeo, and an OCI layout directory.
    @Test func importsSkopeoArchiveAndLayoutDirectory() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 43)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let multi = try #require(corpus.image("apps/multi:2.0"))
        try? FileManager.default.removeItem(atPath: "/var/lib/containers/cache/blob-info-cache-v1.boltdb")
        _ = try Skopeo.run(["copy", "--all", "--src-tls-verify=false", "docker://\(multi.reference)", "oci-archive:\(dir)/skopeo.tar:\(multi.reference)"])
        let raw = try Skopeo.run(["inspect", "--raw", "oci-archive:\(dir)/skopeo.tar:\(multi.reference)"])
        _ = try await Self.importer(target).run(ImportOptions(input: dir + "/skopeo.tar", destination: try DestinationMapper(to: "\(target.host)/sk")))
        let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/sk/apps/multi:2.0"))
        #expect(fetched.digest == DigestHasher.digest(of: Array(raw.utf8)))

        let web = try #require(corpus.image("apps/web:1.0"))
        _ = try await ExportFixtures.export([web.reference], from: ExportFixtures.client(), to: .layout(dir + "/layout"))
        _ = try await Self.importer(target).run(ImportOptions(input: dir + "/layout", destination: try DestinationMapper(to: "\(target.host)/lay")))
        let layoutImage = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/lay/apps/web:1.0"))
        #expect(layoutImage.digest.description == web.digest)
    }

    /// Rule: compressed bundles are read as one stream (into a temporary copy) and import the same.
    @Test(arguments: StreamCompressor.Kind.allCases)
    func compressedBundleImports(_ kind: StreamCompressor.Kind) async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(from: source, seed: 45, dir: dir)
        let compressed = dir + "/bundle.tar.\(kind.rawValue)"
        let output = try PositionalFile(path: compressed, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var written: Int64 = 0
        let compressor = try StreamCompressor(kind: kind) { buffer in
            try output.write(buffer, at: written)
            written += Int64(buffer.count)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: bundle))
        try data.withUnsafeBytes { try compressor.write($0) }
        try compressor.finish()
        try output.close()

        let verified = try await BundleVerifier().run(VerifyOptions(input: compressed))
        #expect(verified.ok, "\(verified.problems)")
        #expect(verified.input == compressed)
        _ = try await Self.importer(target).run(ImportOptions(input: compressed, destination: try DestinationMapper(to: target.host)))
        for image in corpus.images {
            let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/\(image.repository):\(image.tag)"))
            #expect(fetched.digest.description == image.digest)
        }
        // This process's scratch copies only (their names carry the pid): ferry processes of
        // other tests running at the same time have their own.
        let mine = "ferry-import.tmp-\(getpid())-"
        #expect(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.contains(mine) }.isEmpty)
    }

    /// Rule: a damaged blob is named and no tag of the import appears.
    @Test func damagedBlobPublishesNoTag() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(from: source, seed: 44, dir: dir)
        let layer = try Self.damageOwnLayerOfWeb(corpus, bundle: bundle)

        do {
            _ = try await Self.importer(target).run(ImportOptions(input: bundle, destination: try DestinationMapper(to: target.host)))
            Issue.record("import of a damaged bundle succeeded")
        } catch {
            #expect("\(error)".contains(String(layer.digest.dropFirst(7))), "\(error)")
        }
        let client = ExportFixtures.client(target)
        for image in corpus.images {
            #expect(try await client.manifestDigest(registry: target.host, repository: image.repository, reference: image.tag) == nil,
                    "\(image.repository):\(image.tag) must not be tagged")
        }
    }

    /// Rule: with keep-going, the images that do not need a damaged blob are imported and the
    /// others are reported; --map overrides one destination exactly.
    @Test func keepGoingAndMap() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(from: source, seed: 46, dir: dir)
        _ = try Self.damageOwnLayerOfWeb(corpus, bundle: bundle)
        let base = try #require(corpus.image("base/os:1"))

        var options = ImportOptions(input: bundle, destination: try DestinationMapper(to: target.host, map: ["\(base.reference)=custom/base:v1"]))
        options.keepGoing = true
        let report = try await Self.importer(target).run(options)
        #expect(Set(report.failures.map(\.image)) == ["\(target.host)/apps/web:1.0", "\(target.host)/apps/web:latest"])
        #expect(!report.errors.isEmpty)
        let client = ExportFixtures.client(target)
        #expect(try await client.manifestDigest(registry: target.host, repository: "apps/web", reference: "1.0") == nil)
        #expect(try await client.manifestDigest(registry: target.host, repository: "custom/base", reference: "v1")?.description == base.digest)
        let multi = try #require(corpus.image("apps/multi:2.0"))
        #expect(try await client.manifestDigest(registry: target.host, repository: "apps/multi", reference: "2.0")?.description == multi.digest)
    }

    /// Rule: hostile or broken archives are refused before anything is sent.
    @Test(arguments: ["traversal", "absolute", "duplicate", "missing-blob", "truncated", "media-type", "disagreeing-sides", "link-escape"])
    func hostileArchivesAreRefusedBeforeSending(_ kind: String) async throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let layer = Array("layer".utf8)
        func descriptor(_ type: MediaType, _ bytes: [UInt8]) -> String {
            #"{"mediaType":"\#(type)","digest":"\#(DigestHasher.digest(of: bytes))","size":\#(bytes.count)}"#
        }
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\#(descriptor(.ociConfig, config)),"layers":[\#(descriptor(.ociLayerGzip, layer))]}"#.utf8)
        let entryType: MediaType = kind == "media-type" ? .ociIndex : .ociManifest
        let index = Array(#"{"schemaVersion":2,"manifests":[{"mediaType":"\#(entryType)","digest":"\#(DigestHasher.digest(of: manifest))","size":\#(manifest.count),"annotations":{"io.containerd.image.name":"example.com/evil/app:1"}}]}"#.utf8)
        var members: [(String, [UInt8])] = [("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)), ("index.json", index)]
        for blob in [manifest, config, layer] where !(kind == "missing-blob" && blob == layer) {
            members.append((DigestHasher.digest(of: blob).layoutPath, blob))
        }
        switch kind {
        case "disagreeing-sides":
            members.append(("manifest.json", Array(#"[{"Config":"blobs/sha256/\#(String(repeating: "e", count: 64))","RepoTags":["x:1"],"Layers":[]}]"#.utf8)))
        case "link-escape":
            // A docker-archive whose layer is a link out of the archive.
            members = [("manifest.json", Array(#"[{"Config":"c.json","RepoTags":["example.com/x:1"],"Layers":["l/layer.tar"]}]"#.utf8)),
                       ("c.json", Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(DigestHasher.digest(of: layer))"]}}"#.utf8))]
        case "traversal": members.append(("blobs/../../escape", Array("x".utf8)))
        case "absolute": members.append(("/etc/ferry-test", Array("x".utf8)))
        case "duplicate": members.append(("index.json", Array("{}".utf8)))
        default: break
        }
        let path = dir + "/hostile.tar"
        var layout = TarLayout()
        let file = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        for (name, bytes) in members {
            let slot = try layout.append(TarMember(name: name, size: Int64(bytes.count)))
            try file.write(slot.header, at: slot.headerOffset)
            try file.write(bytes, at: slot.dataOffset)
        }
        if kind == "link-escape" {
            // A symlink header (type '2') by hand: TarHeader writes files and directories only.
            var header = try TarHeader.encode(TarMember(name: "l/layer.tar", size: 0))
            header[156] = UInt8(ascii: "2")
            for (i, byte) in Array("../../../etc/passwd".utf8).enumerated() { header[157 + i] = byte }
            for i in 148..<156 { header[i] = 0x20 }
            let sum = header.reduce(0) { $0 + Int($1) }
            let digits = Array(String(sum, radix: 8).utf8)
            for i in 0..<6 { header[148 + i] = i < 6 - digits.count ? 0x30 : digits[i - (6 - digits.count)] }
            header[154] = 0
            let offset = layout.endOfMembers
            try file.write(header, at: offset)
            try file.write(TarHeader.endOfArchive, at: offset + 512)
            try file.close()
            return try await expectRefused(path, kind: kind, dir: dir)
        }
        try file.write(TarHeader.endOfArchive, at: layout.endOfMembers)
        if kind == "truncated" { try file.truncate(to: layout.endOfMembers - 700) }
        try file.close()

        try await expectRefused(path, kind: kind, dir: dir)
    }

    func expectRefused(_ path: String, kind: String, dir: String) async throws {
        let proxy = try FaultProxy(upstream: "127.0.0.1:9", rules: [])
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 1)))
        let reasons = ["traversal": "'..'", "absolute": "absolute", "duplicate": "appears twice", "missing-blob": "does not carry",
                       "truncated": "ends early", "media-type": "disagrees", "disagreeing-sides": "disagree",
                       "link-escape": "outside the archive"]
        do {
            _ = try await Importer(client: client).run(ImportOptions(input: path, destination: try DestinationMapper(to: proxy.address)))
            Issue.record("\(kind): accepted")
        } catch {
            #expect("\(error)".contains(reasons[kind] ?? "?"), "\(kind): \(error)")
        }
        #expect(proxy.requests().isEmpty, "\(kind): sent \(proxy.requests())")
        #expect(!FileManager.default.fileExists(atPath: dir + "/escape"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/ferry-test"))
    }
}

extension ImportIntegrationTests {
    /// Rule: an entry without a name (tag-only ref name, as Docker writes) is reported, and
    /// imported under a name given with --name.
    @Test func unnamedEntriesAreReportedAndNameable() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 47)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        _ = try await ExportFixtures.export([web.reference], from: ExportFixtures.client(), to: .layout(dir + "/layout"))
        // Rewrite index.json the way Docker/BuildKit name entries: tag only.
        let indexPath = dir + "/layout/index.json"
        var index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: indexPath)))
        index.manifests[0].annotations = [AnnotationKey.refName: "1.0"]
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: indexPath))

        let report = try await Self.importer(target).run(ImportOptions(input: dir + "/layout", destination: try DestinationMapper(to: target.host), dryRun: true))
        #expect(report.images.isEmpty)
        #expect(report.unnamed == [web.digest])

        var options = ImportOptions(input: dir + "/layout", destination: try DestinationMapper(to: target.host))
        options.names = [try ImageReference(parsing: "example.com/named/web:7")]
        let named = try await Self.importer(target).run(options)
        #expect(named.images.map(\.destination) == ["\(target.host)/named/web:7"])
        #expect(try await ExportFixtures.client(target).manifestDigest(registry: target.host, repository: "named/web", reference: "7")?.description == web.digest)
    }
}

extension ImportIntegrationTests {
    /// Rule (issue 5): export --compress writes the whole bundle compressed (zstd or gzip);
    /// verify and import read it, every digest unchanged.
    @Test(arguments: StreamCompressor.Kind.allCases)
    func exportCompressedBundle(_ kind: StreamCompressor.Kind) async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 48)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = ExportOptions(references: try corpus.images.map { try ImageReference(parsing: $0.reference) },
                                    output: .bundle(dir + "/b.tar.\(kind.rawValue)"))
        options.compression = (kind: kind, level: 3)
        let report = try await Exporter(source: RegistrySource(client: ExportFixtures.client())).run(options)
        let head = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/b.tar.\(kind.rawValue)")).prefix(4))
        #expect(kind == .gzip ? head.starts(with: [0x1f, 0x8b]) : head == [0x28, 0xb5, 0x2f, 0xfd])
        #expect(report.bytesWritten == Int64(FileManager.default.contents(atPath: dir + "/b.tar.\(kind.rawValue)")?.count ?? -1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["b.tar.\(kind.rawValue)"])

        let verified = try await BundleVerifier().run(VerifyOptions(input: dir + "/b.tar.\(kind.rawValue)"))
        #expect(verified.ok, "\(verified.problems)")
        #expect(verified.contentIndexDigest == report.contentIndexDigest)
        _ = try await Self.importer(target).run(ImportOptions(input: dir + "/b.tar.\(kind.rawValue)", destination: try DestinationMapper(to: target.host)))
        for image in corpus.images {
            #expect(try await ExportFixtures.client(target).manifestDigest(registry: target.host, repository: image.repository, reference: image.tag)?.description == image.digest)
        }
    }
}
