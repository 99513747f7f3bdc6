import FerryCore
import FerryFormat
import FerryOperations
import FerryTestSupport
import Foundation
import Testing

/// Rule: the bundle loads everywhere. containerd (`ctr images import`, the strictest peer: it
/// unpacks every layer and checks diffIDs) keeps every digest, indexes included; podman loads
/// every single-platform image with its config digest as image ID.
@Suite(.serialized) struct PeerLoadTests {
    static func run(_ tool: String, _ arguments: [String]) throws -> String { try Tool.run(tool, arguments) }

    static func exportedBundle(_ registry: TestRegistry, seed: UInt64, dir: String) async throws -> (PushedCorpus, String) {
        let corpus = try await registry.push(seed: seed)
        let path = dir + "/bundle.tar"
        _ = try await ExportFixtures.export(corpus.images.map(\.reference), from: ExportFixtures.client(), to: .bundle(path))
        return (corpus, path)
    }

    @Test func containerdImportsEveryImageWithItsDigest() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        // containerd's socket path must stay short (sun_path is 108 bytes).
        let dir = "/tmp/fctd-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(registry, seed: 71, dir: dir)
        let listing = try await Self.containerdImport(bundle, dir: dir)
        for image in corpus.images {
            let line = listing.split(separator: "\n").first { $0.hasPrefix(image.reference + " ") }
            #expect(line?.contains(image.digest) == true, "\(image.reference) missing or with another digest:\n\(listing)")
        }
    }

    /// Starts a private containerd under `dir`, imports `tar` with ctr, returns `ctr images ls`.
    static func containerdImport(_ tar: String, dir: String, flags: [String] = ["--all-platforms"]) async throws -> String {
        let containerd = try await TestContainerd.start(in: dir, within: 10)
        defer { containerd.stop() }
        // The native snapshotter: overlayfs is not available in every test machine's kernel.
        _ = try containerd.ctr(["images", "import", "--snapshotter", "native"] + flags + [tar])
        return try containerd.ctr(["images", "ls"])
    }

    /// Rule (issue 4): --bundle-format oci-archive is a pure OCI layout tar that containerd and
    /// skopeo read with every digest; docker-archive is the docker save shape that podman and
    /// skopeo load, and it refuses multi-platform images unless one platform is chosen.
    @Test func otherBundleFormats() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 73)
        let dir = "/tmp/fctd-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let client = ExportFixtures.client()
        let references = corpus.images.map(\.reference)

        _ = try await ExportFixtures.export(references, from: client, to: .archive(dir + "/oci.tar", .ociArchive))
        let ociMembers = try Self.run("/usr/bin/tar", ["-tf", dir + "/oci.tar"]).split(separator: "\n")
        #expect(ociMembers.contains("index.json") && !ociMembers.contains("manifest.json") && !ociMembers.contains("ferry-index.json"))
        let listing = try await Self.containerdImport(dir + "/oci.tar", dir: dir)
        for image in corpus.images {
            #expect(listing.split(separator: "\n").first { $0.hasPrefix(image.reference + " ") }?.contains(image.digest) == true)
        }

        await #expect(throws: FerryFormatError.self) {
            _ = try await ExportFixtures.export(references, from: client, to: .archive(dir + "/docker.tar", .dockerArchive))
        }
        _ = try await ExportFixtures.export(references, from: client, to: .archive(dir + "/docker.tar", .dockerArchive), platforms: ["linux/amd64"])
        let dockerMembers = try Self.run("/usr/bin/tar", ["-tf", dir + "/docker.tar"]).split(separator: "\n")
        #expect(dockerMembers.contains("manifest.json") && !dockerMembers.contains("index.json") && !dockerMembers.contains("oci-layout"))
        try? FileManager.default.removeItem(atPath: "/var/lib/containers/cache/blob-info-cache-v1.boltdb")
        for image in corpus.images {
            let byName = try Skopeo.run(["inspect", "docker-archive:\(dir)/docker.tar:\(image.reference)"])
            #expect(byName.contains("\"Layers\""))
        }
        _ = try Skopeo.run(["inspect", "docker-archive:\(dir)/docker.tar:@0"])
        let run = "/tmp/fpod-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let storage = ["--storage-driver", "vfs", "--root", dir + "/proot", "--runroot", run]
        _ = try Self.run("/usr/bin/podman", storage + ["load", "-i", dir + "/docker.tar"])
        let images = try Self.run("/usr/bin/podman", storage + ["images", "--format", "{{.Repository}}:{{.Tag}}"])
        for image in corpus.images { #expect(images.contains(image.reference), "\(image.reference)") }
    }

    @Test func podmanLoadsSinglePlatformImages() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (corpus, bundle) = try await Self.exportedBundle(registry, seed: 72, dir: dir)
        // podman refuses a runroot path longer than 50 characters.
        let run = "/tmp/fpod-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let storage = ["--storage-driver", "vfs", "--root", dir + "/root", "--runroot", run]
        _ = try Self.run("/usr/bin/podman", storage + ["load", "-i", bundle])
        let listing = try Self.run("/usr/bin/podman", storage + ["images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        for image in corpus.images where !image.isIndex {
            let config = try #require(image.manifests.first?.config.digest)
            #expect(listing.contains("\(image.reference) \(config)"), "\(image.reference):\n\(listing)")
        }
        // The manifest.json side, through podman's docker-archive transport, by name and by position.
        let pullRoot = [dir + "/pull-root"].flatMap { ["--storage-driver", "vfs", "--root", $0, "--runroot", run + "-p"] }
        defer { try? FileManager.default.removeItem(atPath: run + "-p") }
        let legacy = try #require(corpus.image("legacy/docker:3"))
        let pulled = try Self.run("/usr/bin/podman", pullRoot + ["pull", "-q", "docker-archive:\(bundle):\(legacy.reference)"])
        #expect(pulled.contains(String(legacy.manifests.first?.config.digest.dropFirst(7) ?? "?")))
        _ = try Self.run("/usr/bin/podman", pullRoot + ["pull", "-q", "docker-archive:\(bundle):@0"])
    }
}

/// Rule (issue 17, item 2): the default bundle of signed images loads with the plain commands.
/// Three images, each with a cosign-style signature and an SBOM referrer: `ctr images import`
/// exits 0 and keeps every digest (before bundle 1.1 it exited 1 on the first artifact), and
/// podman loads a one-image bundle from its OCI side, digest kept (it took the Docker side as
/// soon as a signature made a second `index.json` entry). `ferry import` still brings every
/// attachment, next to its image.
@Suite(.serialized) struct SignedBundleLoadTests {
    @Test func signedImagesLoadWithThePlainCommands() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 73)
        let images = try ["apps/web:1.0", "apps/multi:2.0", "legacy/docker:3"].map { try #require(corpus.image($0)) }
        var attached: [ReferrersTests.Attached] = []
        for image in images { attached.append(try await ReferrersTests.attach(source, repository: image.repository, tag: image.tag)) }
        let dir = "/tmp/fsig-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try await ExportFixtures.export(images.map(\.reference), from: ExportFixtures.client(), to: .bundle(dir + "/signed.tar"))
        #expect(report.images.filter { $0.subject != nil }.count == 6)

        let listing = try await PeerLoadTests.containerdImport(dir + "/signed.tar", dir: dir, flags: [])
        for image in images {
            let line = listing.split(separator: "\n").first { $0.hasPrefix(image.reference + " ") }
            #expect(line?.contains(image.digest) == true, "\(image.reference):\n\(listing)")
        }

        // inspect says what each loader takes, and the loaders agree.
        let outlook = try await Inspector.inspect(path: dir + "/signed.tar").loaders
        #expect(outlook.first { $0.tool == "ctr images import" } == .init(tool: "ctr images import", images: 3, of: 3, side: "oci", digestsKept: true))
        #expect(outlook.first { $0.tool == "podman load" }.map { $0.side == "docker" && !$0.digestsKept } == true, "\(outlook)")
        // An oci-archive keeps the attachments in index.json: ctr fails, as inspect says.
        _ = try await ExportFixtures.export(images.map(\.reference), from: ExportFixtures.client(), to: .archive(dir + "/oci.tar", .ociArchive))
        let ociOutlook = try await Inspector.inspect(path: dir + "/oci.tar").loaders.first { $0.tool == "ctr images import" }
        #expect(ociOutlook?.images == 0 && ociOutlook?.of == 9 && ociOutlook?.note?.contains("--no-unpack") == true, "\(String(describing: ociOutlook))")
        try FileManager.default.createDirectory(atPath: dir + "/c2", withIntermediateDirectories: true)
        await #expect(throws: (any Error).self) { _ = try await PeerLoadTests.containerdImport(dir + "/oci.tar", dir: dir + "/c2", flags: []) }

        let one = dir + "/one.tar"
        _ = try await ExportFixtures.export([images[0].reference], from: ExportFixtures.client(), to: .bundle(one))
        let oneOutlook = try await Inspector.inspect(path: one).loaders.first { $0.tool == "podman load" }
        #expect(oneOutlook == .init(tool: "podman load", images: 1, of: 1, side: "oci", digestsKept: true))
        let run = "/tmp/fsp-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let storage = ["--storage-driver", "vfs", "--root", dir + "/proot", "--runroot", run]
        _ = try Tool.run("/usr/bin/podman", storage + ["load", "-i", one])
        let loaded = try Tool.run("/usr/bin/podman", storage + ["images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"])
        #expect(loaded.contains("\(images[0].reference) \(images[0].digest)"), "\(loaded)")

        // ferry import --map: the signature and the SBOM go where their image goes.
        var options = ImportOptions(input: dir + "/signed.tar",
                                    destination: try DestinationMapper(to: target.host, map: ["\(images[0].reference)=prod/web:stable"]))
        options.jobs = 4
        _ = try await Importer(client: ExportFixtures.client(target)).run(options)
        let client = ExportFixtures.client(target)
        for (image, attachment) in zip(images, attached) {
            let repository = image.repository == "apps/web" ? "prod/web" : image.repository
            let signature = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attachment.signatureTag)"))
            #expect(signature.digest == attachment.signatureDigest)
            let fallback = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attachment.fallbackTag)"))
            guard case .index(let index) = try fallback.parse() else { Issue.record("no fallback index in \(repository)"); continue }
            #expect(index.manifests.map(\.digest).contains(attachment.referrerDigest), "\(repository)")
        }
    }
}
