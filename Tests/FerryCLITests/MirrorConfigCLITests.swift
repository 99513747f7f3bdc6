import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 17, item 4): after an import, the files `ferry mirror-config` writes make the
/// real clients pull the ORIGINAL names from the isolated registry, with the right digest, while
/// the original registry is gone: podman through `registries.conf` after `--flatten 1` and a
/// prefix, containerd (`ctr --hosts-dir`) through `hosts.toml` after a prefix. containerd cannot
/// follow `--flatten` (hosts.toml only adds a path): that is said, and no hosts.toml is written.
@Suite(.serialized) struct MirrorConfigCLITests {
    @Test func clientsPullOriginalNamesFromTheMirror() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 94)
        let web = try #require(corpus.image("apps/web:1.0"))
        // Short: containerd's socket path must fit in sun_path, podman's runroot in 50 characters.
        let dir = "/tmp/fmc-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLITests.ferry(["export", web.reference, "-o", "b.tar", "-q"], directory: dir).status == 0)
        source.stop()  // the original registry is on the other side of the gap now

        // podman, after --flatten 1 and a prefix.
        let flat = ["--registry", "\(target.host)/site", "--flatten", "1"]
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/site", "--flatten", "1", "-q"], directory: dir).status == 0)
        let flatConfig = try CLITests.ferry(["mirror-config", "b.tar", "-o", "flat", "--insecure"] + flat, directory: dir)
        #expect(flatConfig.status == 0, "\(flatConfig.stderr)")
        #expect(flatConfig.stderr.contains("containerd: \(source.host) is not written"), "\(flatConfig.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/flat/certs.d"))
        let storage = ["--storage-driver", "vfs", "--root", dir + "/proot", "--runroot", dir + "/prun"]
        let conf = "CONTAINERS_REGISTRIES_CONF=\(dir)/flat/registries.conf.d/ferry-mirror.conf"
        _ = try Tool.run("/usr/bin/env", [conf, "/usr/bin/podman"] + storage + ["pull", "-q", web.reference])
        let images = try Tool.run("/usr/bin/env", [conf, "/usr/bin/podman"] + storage + ["images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"])
        #expect(images.contains("\(web.reference) \(web.digest)"), "\(images)")

        // containerd, after a prefix.
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/pre", "-q"], directory: dir).status == 0)
        let prefixed = try CLITests.ferry(["mirror-config", "b.tar", "-o", "pre", "--insecure", "--registry", "\(target.host)/pre"], directory: dir)
        #expect(prefixed.status == 0 && !prefixed.stderr.contains("warning"), "\(prefixed.stderr)")
        let hosts = try String(contentsOfFile: "\(dir)/pre/certs.d/\(source.host)/hosts.toml", encoding: .utf8)
        #expect(hosts.contains("override_path = true"))
        try FileManager.default.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
        let containerd = try await TestContainerd.start(in: dir + "/c")
        defer { containerd.stop() }
        _ = try containerd.ctr(["images", "pull", "--hosts-dir", dir + "/pre/certs.d", "--snapshotter", "native", web.reference])
        let listing = try containerd.ctr(["images", "ls"])
        let line = listing.split(separator: "\n").first { $0.hasPrefix(web.reference + " ") }
        #expect(line?.contains(web.digest) == true, "\(listing)")
    }
}
