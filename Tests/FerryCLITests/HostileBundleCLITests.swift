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
}
