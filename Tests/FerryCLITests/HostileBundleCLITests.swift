import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 15): a small hostile bundle cannot make import or inspect do unbounded work.
@Suite(.serialized) struct HostileBundleCLITests {
    /// An OCI layout directory with the given blobs and one index.json entry.
    static func layout(at dir: String, blobs: [[UInt8]], entry: (digest: Digest, mediaType: String, size: Int), name: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        for blob in blobs {
            try Data(blob).write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + DigestHasher.digest(of: blob).hex))
        }
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
        let index = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"\#(entry.mediaType)","digest":"\#(entry.digest)","size":\#(entry.size),"annotations":{"io.containerd.image.name":"\#(name)","org.opencontainers.image.ref.name":"1"}}]}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }

    /// Item 4: five nested indexes, each listing its child 60 times, a 50 KB input. Walking every
    /// path is 60^5 manifest reads; each (digest, media type) must be walked once. Before the
    /// fix, inspect and import ran for hours; here each command gets 30 s.
    @Test func nestedRepeatedIndexesAreWalkedOnce() async throws {
        let dir = NSTemporaryDirectory() + "ferry-nested-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(DigestHasher.digest(of: config))","size":\#(config.count)},"layers":[]}"#.utf8)
        var blobs = [config, manifest]
        var child = (digest: DigestHasher.digest(of: manifest), mediaType: "application/vnd.oci.image.manifest.v1+json", size: manifest.count)
        for _ in 0..<5 {
            let entry = #"{"mediaType":"\#(child.mediaType)","digest":"\#(child.digest)","size":\#(child.size),"platform":{"architecture":"amd64","os":"linux"}}"#
            let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(Array(repeating: entry, count: 60).joined(separator: ","))]}"#.utf8)
            blobs.append(index)
            child = (DigestHasher.digest(of: index), "application/vnd.oci.image.index.v1+json", index.count)
        }
        try Self.layout(at: dir + "/layout", blobs: blobs, entry: child, name: "example.com/nested/app:1")
        #expect(blobs.reduce(0) { $0 + $1.count } < 100_000)

        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let timeout = ["30", CLITests.binary]
        let inspect = try CLITests.ferry(["inspect", "layout"], directory: dir, executable: "/usr/bin/timeout", prefix: timeout)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let imported = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/nested", "-q"], directory: dir,
                                          executable: "/usr/bin/timeout", prefix: timeout)
        #expect(imported.status == 0, "\(imported.stderr)")
        let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/nested/nested/app:1"])
        #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8)) == child.digest.description)
    }

    /// Item 19: what an archive says about itself is bad input (65): a hostile member name
    /// exited 74 (local I/O) before. A full disk while decompressing is local I/O (74), not 65.
    @Test func exitCodesTellBadInputFromLocalIO() throws {
        let dir = NSTemporaryDirectory() + "ferry-exit-codes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import io, os, sys, tarfile
        def add(tar, name, data):
            info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
        with tarfile.open(sys.argv[1] + "/hostile.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add(tar, "index.json", b'{"schemaVersion":2,"manifests":[]}')
            add(tar, "blobs/../../escape", b"x")
        with tarfile.open(sys.argv[1] + "/big.tar.gz", "w:gz") as tar:
            add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add(tar, "filler", os.urandom(1 << 20))
        """
        _ = try Tool.run("/usr/bin/python3", ["-c", script, dir])
        // verify reports every problem it finds as damage (76, its own contract); import and
        // inspect stop at the bad input (65).
        for (command, status) in [(["verify", "hostile.tar"], Int32(76)), (["import", "hostile.tar", "--to", "127.0.0.1:9/x"], 65), (["inspect", "hostile.tar"], 65)] {
            let run = try CLITests.ferry(command, directory: dir)
            #expect(run.status == status, "ferry \(command.joined(separator: " ")): \(run.stderr)")
            #expect((run.stdout + run.stderr).contains("'..'"), "\(run.stdout)\(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "escape"))

        // A 256 KiB temporary directory cannot hold the 1 MiB decompressed copy (root only).
        let tiny = dir + "/tiny"
        try FileManager.default.createDirectory(atPath: tiny, withIntermediateDirectories: true)
        guard (try? Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", tiny])) != nil else { return }
        defer { _ = try? Tool.run("/bin/umount", [tiny]) }
        let full = try CLITests.ferry(["import", "big.tar.gz", "--to", "127.0.0.1:9/x"], environment: ["TMPDIR": tiny], directory: dir)
        #expect(full.status == 74, "\(full.stderr)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tiny).isEmpty, "the partial copy is left behind")
    }

    /// Item 12: a layer damaged in the bundle is found while it is uploaded; the import stops
    /// with exit 76 (integrity), naming the bundle member and the images that need it, not 69
    /// with the registry's DIGEST_INVALID. No manifest that needs the layer is pushed.
    @Test func damagedLayerDuringImportIsAnIntegrityFailure() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 151)
        let web = try #require(corpus.image("apps/web:1.0"))
        let dir = NSTemporaryDirectory() + "ferry-damaged-layer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try CLITests.ferry(["export", web.reference, "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        struct Index: Decodable { struct Blob: Decodable { var digest: String; var size: Int64; var offset: Int64 }; var blobs: [Blob] }
        let index = try JSONDecoder().decode(Index.self, from: Data(try Tool.run("/bin/tar", ["-xOf", dir + "/b.tar", "ferry-index.json"]).utf8))
        let layers = Set(web.manifests.flatMap(\.layers).map(\.digest))
        let layer = try #require(index.blobs.filter { layers.contains($0.digest) }.max { $0.size < $1.size })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir + "/b.tar"))
        try handle.seek(toOffset: UInt64(layer.offset + layer.size / 2))
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: UInt64(layer.offset + layer.size / 2))
        try handle.write(contentsOf: [byte ^ 0xff])
        try handle.close()

        let run = try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/damaged", "--retries", "1"], directory: dir)
        #expect(run.status == 76, "\(run.stderr)")
        #expect(run.stderr.contains("blobs/sha256/" + layer.digest.dropFirst("sha256:".count)), "\(run.stderr)")
        #expect(run.stderr.contains("apps/web:1.0"), "\(run.stderr)")
        #expect((try? Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target.host)/damaged/apps/web:1.0"])) == nil,
                "the image was pushed without its layer")
    }

    /// Item 1: a signed bundle whose image name was changed in index.json (in place, same
    /// length, so no offset moves) no longer verifies with its key, and import refuses it
    /// (76) before sending anything. Before, verify compared only the ref name and import took
    /// io.containerd.image.name: the image would have been pushed under the changed name.
    @Test func namesAreBoundByTheSignedContentIndex() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 152)
        let web = try #require(corpus.image("apps/web:1.0"))
        let dir = NSTemporaryDirectory() + "ferry-names-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLITests.ferry(["key", "generate", "-o", "k.pem"], directory: dir).status == 0)
        let export = try CLITests.ferry(["export", web.reference, "-o", "b.tar", "--sign-key", "k.pem", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try CLITests.ferry(["verify", "b.tar", "--key", "k.pem.pub", "-q"], directory: dir).status == 0)

        // Rename apps/web to apps/xeb in io.containerd.image.name only, byte for byte in place.
        let patch = """
        import sys, tarfile
        path = sys.argv[1]
        with tarfile.open(path) as tar:
            member = tar.getmember("index.json")
        with open(path, "r+b") as f:
            f.seek(member.offset_data)
            data = f.read(member.size)
            key = b'"io.containerd.image.name":"'
            start = data.index(key) + len(key)
            end = data.index(b'"', start)
            name = data[start:end]
            changed = name.replace(b"apps/web", b"apps/xeb")
            assert changed != name and len(changed) == len(name)
            f.seek(member.offset_data + start)
            f.write(changed)
        """
        _ = try Tool.run("/usr/bin/python3", ["-c", patch, dir + "/b.tar"])

        let verify = try CLITests.ferry(["verify", "b.tar", "--key", "k.pem.pub"], directory: dir)
        #expect(verify.status == 76, "\(verify.stdout)\(verify.stderr)")
        #expect((verify.stdout + verify.stderr).contains("index.json"), "\(verify.stdout)")
        let proxy = try FaultProxy(upstream: source.host, rules: [])
        defer { proxy.stop() }
        let imported = try CLITests.ferry(["import", "b.tar", "--to", "\(proxy.address)/renamed"], directory: dir)
        #expect(imported.status == 76, "\(imported.stderr)")
        #expect(imported.stderr.contains("index.json hashes to"), "\(imported.stderr)")
        #expect(proxy.requests().isEmpty, "import sent \(proxy.requests().count) requests")
    }

    /// Item 5: a registry that drips a manifest a byte at a time is cut off by the request
    /// deadline (`--request-timeout`), and one that drips a blob by the minimum rate
    /// (`--min-rate`), not read for minutes. Before, a 1 byte/s manifest was still being read
    /// after 150 s, even with `--retries 1`.
    @Test func slowDripIsCutOff() async throws {
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(DigestHasher.digest(of: Array(config.utf8)))","size":\#(config.utf8.count)},"layers":[]}"#
        let ociManifest = ["Content-Type": "application/vnd.oci.image.manifest.v1+json"]
        let server = try await ScriptedServer([
            "GET /v2/drip/manifest/manifests/": .init(headers: ociManifest, body: manifest, dripSeconds: 0.5),
            "GET /v2/drip/blob/manifests/": .init(headers: ociManifest, body: manifest),
            "GET /v2/drip/blob/blobs/": .init(body: config, dripSeconds: 0.2),
        ])
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "ferry-drip-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (reference, options) in [("drip/manifest:1", ["--request-timeout", "2"]), ("drip/blob:1", ["--min-rate", "1K/2"])] {
            let started = Date()
            let run = try CLITests.ferry(["export", "\(server.host)/\(reference)", "-o", "b.tar", "--retries", "1", "--no-referrers"] + options,
                                         directory: dir)
            #expect(run.status == 69, "\(reference): \(run.stderr)")
            #expect(Date().timeIntervalSince(started) < 20, "\(reference) took \(Date().timeIntervalSince(started)) s")
        }
    }

    /// Item 11: two different images that map to one destination (same path from two
    /// registries) are refused before anything is sent, naming both and the destination; with
    /// `--include` one of them was dropped without a word.
    @Test func twoSourcesForOneDestinationAreRefused() async throws {
        let first = try await TestRegistry.start()
        defer { first.stop() }
        let second = try await TestRegistry.start()
        defer { second.stop() }
        let a = try #require(try await first.push(seed: 171).image("apps/web:1.0"))
        let b = try #require(try await second.push(seed: 172).image("apps/web:1.0"))
        #expect(a.digest != b.digest)
        let dir = NSTemporaryDirectory() + "ferry-one-destination-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try CLITests.ferry(["export", a.reference, b.reference, "-o", "b.tar", "-q", "--no-referrers"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let proxy = try FaultProxy(upstream: first.host, rules: [])
        defer { proxy.stop() }
        for extra in [[], ["--include", "*/apps/web:1.0"]] {
            let run = try CLITests.ferry(["import", "b.tar", "--to", "\(proxy.address)/mirror"] + extra, directory: dir)
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains(a.reference) && run.stderr.contains(b.reference) && run.stderr.contains("\(proxy.address)/mirror/apps/web:1.0"),
                    "\(run.stderr)")
        }
        #expect(proxy.requests().isEmpty, "import sent \(proxy.requests().count) requests")
    }

    /// Item 15: a blob member preceded by a directory entry of the same name. Import, GNU tar
    /// and skopeo read the file; verify said the layer was missing. Now both read it.
    @Test func directoryEntryBeforeABlobOfTheSameName() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let web = try #require(try await source.push(seed: 153).image("apps/web:1.0"))
        let dir = NSTemporaryDirectory() + "ferry-dir-entry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try CLITests.ferry(["export", web.reference, "-o", "plain.tar", "--bundle-format", "oci-archive", "-q", "--no-referrers"],
                                        directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let rewrite = """
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT) as out:
            members = src.getmembers()
            blob = max((m for m in members if m.isfile() and m.name.startswith("blobs/")), key=lambda m: m.size)
            for m in members:
                if m.name == blob.name:
                    d = tarfile.TarInfo(m.name); d.type = tarfile.DIRTYPE; d.mode = 0o755
                    out.addfile(d)
                out.addfile(m, src.extractfile(m) if m.isfile() else None)
        """
        _ = try Tool.run("/usr/bin/python3", ["-c", rewrite, dir + "/plain.tar", dir + "/shadowed.tar"])
        let verify = try CLITests.ferry(["verify", "shadowed.tar"], directory: dir)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let imported = try CLITests.ferry(["import", "shadowed.tar", "--to", "\(target.host)/shadowed", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
    }
}
