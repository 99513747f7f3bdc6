import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 19): `ferry serve` answers the pull API from a bundle in place, and the real
/// clients pull every image from it with the bundle's digests: skopeo (`copy --all`, OCI and
/// Docker types, multi-arch), podman, containerd through a `hosts.toml` mirror (which adds
/// `?ns=`), and `ferry copy` into distribution. A pull cut off mid-blob resumes with `Range`;
/// a damaged blob is answered with 500 and never with its bytes; writes get 405; a compressed
/// bundle is refused with the command that fixes it, or served from `--cache`.
@Suite(.serialized) struct ServeCLITests {
    static func scratch(_ name: String) throws -> String {
        // Short: containerd's socket path must fit in sun_path, podman's runroot in 50 characters.
        let dir = "/tmp/fsv-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The bundle's content index rows, as `digest → (offset, size)`.
    static func places(_ bundle: String) throws -> [String: (offset: Int, size: Int)] {
        let text = try Tool.run("/usr/bin/tar", ["-xOf", bundle, "ferry-index.json"])
        let index = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let blobs = try #require(index["blobs"] as? [[String: Any]])
        var places: [String: (offset: Int, size: Int)] = [:]
        for blob in blobs {
            if let digest = blob["digest"] as? String, let offset = blob["offset"] as? Int, let size = blob["size"] as? Int {
                places[digest] = (offset, size)
            }
        }
        return places
    }

    static func sha256(_ data: Data) -> String {
        "sha256:" + CopySyncCLITests.sha256Hex(data)
    }

    @Test func realClientsPullEveryImageWithTheBundlesDigests() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 19)
        let dir = try Self.scratch("pull")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        source.stop()  // the original registry is on the other side of the gap
        let server = try FerryServer.start([dir + "/b.tar"], in: dir)
        defer { server.stop() }

        // skopeo copy --all of every tag (OCI and Docker manifests, OCI index, Docker list)
        // into dir: layouts, which keep manifests as they came: the digests are the bundle's.
        for (number, image) in corpus.images.enumerated() {
            let name = "\(server.address)/\(image.repositoryAndTag)"
            _ = try Tool.run("/usr/bin/skopeo", ["copy", "--all", "--preserve-digests", "--src-tls-verify=false", "docker://\(name)", "dir:\(dir)/copy-\(number)"])
            let copied = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/copy-\(number)/manifest.json"))
            #expect(Self.sha256(copied) == image.digest, "\(name)")
            for child in image.manifests where image.isIndex {
                let hex = child.digest.dropFirst("sha256:".count)
                #expect(FileManager.default.fileExists(atPath: "\(dir)/copy-\(number)/\(hex).manifest.json"), "\(name): \(child.digest)")
            }
        }

        // The mirror files `ferry mirror-config` writes for the served address (no prefix, no
        // flatten: the server keeps the names) make podman and containerd pull the ORIGINAL
        // names from it; containerd's requests carry ?ns=.
        let config = try CLITests.ferry(["mirror-config", "b.tar", "--registry", server.address, "--insecure", "-o", "cfg"], directory: dir)
        #expect(config.status == 0, "\(config.stderr)")
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let storage = ["--storage-driver", "vfs", "--root", dir + "/proot", "--runroot", dir + "/prun"]
        let conf = "CONTAINERS_REGISTRIES_CONF=\(dir)/cfg/registries.conf.d/ferry-mirror.conf"
        _ = try Tool.run("/usr/bin/env", [conf, "/usr/bin/podman"] + storage + ["pull", "-q", "--arch", "amd64", multi.reference])
        let images = try Tool.run("/usr/bin/env", [conf, "/usr/bin/podman"] + storage + ["images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"])
        #expect(images.contains("\(multi.reference) \(multi.digest)"), "\(images)")

        try FileManager.default.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
        let containerd = try await TestContainerd.start(in: dir + "/c")
        defer { containerd.stop() }
        // Every image: OCI and Docker manifests, an OCI index, a Docker manifest list.
        for image in corpus.images {
            _ = try containerd.ctr(["images", "pull", "--hosts-dir", dir + "/cfg/certs.d", "--snapshotter", "native", "--all-platforms", image.reference])
        }
        let listing = try containerd.ctr(["images", "ls"])
        for image in corpus.images {
            let line = listing.split(separator: "\n").first { $0.hasPrefix(image.reference + " ") }
            #expect(line?.contains(image.digest) == true, "\(listing)")
        }
        #expect(server.logText.contains("?ns=127.0.0.1"), "containerd's requests carry ?ns=: \(server.logText.suffix(1500))")

        // ferry copy from the served registry into distribution, digest unchanged.
        let copy = try CLITests.ferry(["copy", "\(server.address)/apps/multi:2.0", "\(target.host)/copied/multi:2.0", "-q"])
        #expect(copy.status == 0, "\(copy.stderr)")
        let copied = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target.host)/copied/multi:2.0"])
        #expect(Self.sha256(Data(copied.utf8)) == multi.digest)

        // Access log: one line per request, on stderr, with status and bytes.
        #expect(server.logText.contains("\"GET /v2/apps/multi/manifests/2.0\" 200"), "\(server.logText.suffix(2000))")
    }

    @Test func rangesResumeWritesAreRefusedAndDamageIsNeverSent() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 20)
        let dir = try Self.scratch("range")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        let docker = try #require(corpus.image("legacy/docker:3"))
        let export = try CLITests.ferry(["export", web.reference, docker.reference, "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let layer = try #require(web.manifests.first?.layers.last)
        let server = try FerryServer.start([dir + "/b.tar"], in: dir)

        // An interrupted pull resumed with Range: the two halves hash to the digest.
        let url = "http://\(server.address)/v2/apps/web/blobs/\(layer.digest)"
        let first = try FerryServer.curl(["-r", "0-999"], url)
        #expect(first.status == 206 && first.body.count == 1000)
        let rest = try FerryServer.curl(["-r", "1000-"], url)
        #expect(rest.status == 206 && rest.body.count == layer.size - 1000)
        #expect(Self.sha256(first.body + rest.body) == layer.digest)
        #expect(try FerryServer.curl(["-r", "\(layer.size)-"], url).status == 416)
        #expect(try FerryServer.curl(["-r", "-10"], url).body.count == 10)

        // Writes: 405 with an OCI error body.
        let push = try FerryServer.curl(["-X", "POST"], "http://\(server.address)/v2/apps/web/blobs/uploads/")
        #expect(push.status == 405)
        #expect(String(decoding: push.body, as: UTF8.self).contains("\"code\":\"UNSUPPORTED\""))
        #expect(try FerryServer.curl(["-X", "DELETE"], "http://\(server.address)/v2/apps/web/manifests/1.0").status == 405)
        server.stop()

        // A damaged copy: one byte of the web layer flipped. The layer gets 500 (never its
        // bytes), the log names the image it breaks, and the other image still pulls.
        let place = try #require(try Self.places(dir + "/b.tar")[layer.digest])
        let handle = try #require(FileHandle(forUpdatingAtPath: dir + "/b.tar"))
        try handle.seek(toOffset: UInt64(place.offset + 100))
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: UInt64(place.offset + 100))
        try handle.write(contentsOf: Data([byte ^ 0xff]))
        try handle.close()
        let damaged = try FerryServer.start([dir + "/b.tar"], in: dir, name: "damaged")
        defer { damaged.stop() }
        for range in [[], ["-r", "0-99"]] {
            let answer = try FerryServer.curl(range, "http://\(damaged.address)/v2/apps/web/blobs/\(layer.digest)")
            #expect(answer.status == 500)
            #expect(String(decoding: answer.body, as: UTF8.self).contains("DIGEST_INVALID"))
        }
        #expect(damaged.logText.contains("blob \(layer.digest)"), "\(damaged.logText)")
        #expect(damaged.logText.contains("apps/web:1.0"), "the log names the image the blob breaks: \(damaged.logText)")
        _ = try Tool.run("/usr/bin/skopeo", ["copy", "--src-tls-verify=false", "docker://\(damaged.address)/legacy/docker:3", "oci:\(dir)/oci:docker"])
        #expect(throws: Tool.Failure.self) {
            try Tool.run("/usr/bin/skopeo", ["copy", "--src-tls-verify=false", "docker://\(damaged.address)/apps/web:1.0", "oci:\(dir)/oci:web"])
        }
    }

    @Test func compressedBundlesAreRefusedOrServedFromTheCache() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 21)
        let dir = try Self.scratch("zst")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        let export = try CLITests.ferry(["export", web.reference, "-o", "b.tar.zst", "--compress", "zstd", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")

        let refused = try CLITests.ferry(["serve", "b.tar.zst", "--listen", "127.0.0.1:0"], directory: dir)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("zstd -dc"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--cache"), "\(refused.stderr)")

        let server = try FerryServer.start([dir + "/b.tar.zst", "--cache", dir + "/cache", "--verify", "--format", "json"], in: dir)
        defer { server.stop() }
        let manifest = try FerryServer.curl([], "http://\(server.address)/v2/apps/web/manifests/1.0")
        #expect(manifest.status == 200)
        #expect(Self.sha256(manifest.body) == web.digest)
        #expect(server.logText.contains("\"event\":\"checked\""), "\(server.logText)")
        #expect(server.logText.contains("\"damaged\":0"), "\(server.logText)")
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache")
        #expect(cached.count == 1 && cached[0].hasSuffix(".tar"), "\(cached)")
    }

    /// Rule: `--tls-cert/--tls-key` serve HTTPS, and `--htpasswd` (bcrypt, as distribution
    /// reads it) lets only its users pull: no or wrong credentials get 401 with a Basic
    /// challenge, skopeo with the right ones pulls, and the password never reaches the log.
    @Test func httpsAndHtpasswdGuardPulls() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 22)
        let dir = try Self.scratch("tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        let export = try CLITests.ferry(["export", web.reference, "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let tls = try await TestCertificates.makeTLS(in: URL(fileURLWithPath: dir + "/tls"))
        let entry = try await ChildProcess.run("/usr/bin/htpasswd", ["-Bbn", "puller", "s3cret-pw"])
        try entry.stdout.write(to: URL(fileURLWithPath: dir + "/htpasswd"))

        let server = try FerryServer.start([dir + "/b.tar", "--tls-cert", tls.serverCertificatePath, "--tls-key", tls.serverKeyPath,
                                     "--htpasswd", dir + "/htpasswd"], in: dir)
        defer { server.stop() }
        let url = "https://\(server.address)/v2/apps/web/manifests/1.0"
        #expect(try FerryServer.curl(["--cacert", tls.caCertificatePath], url).status == 401)
        #expect(try FerryServer.curl(["--cacert", tls.caCertificatePath, "-u", "puller:wrong"], url).status == 401)
        let allowed = try FerryServer.curl(["--cacert", tls.caCertificatePath, "-u", "puller:s3cret-pw"], url)
        #expect(allowed.status == 200)
        #expect(Self.sha256(allowed.body) == web.digest)
        let challenge = try Tool.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-D", "-", "--cacert", tls.caCertificatePath, url])
        #expect(challenge.lowercased().contains("www-authenticate: basic realm=\"ferry serve\""), "\(challenge)")

        _ = try Tool.run("/usr/bin/skopeo", ["copy", "--all", "--src-cert-dir", tls.certDirectory, "--src-creds", "puller:s3cret-pw",
                                             "docker://\(server.address)/apps/web:1.0", "dir:\(dir)/copy"])
        #expect(try Self.sha256(Data(contentsOf: URL(fileURLWithPath: dir + "/copy/manifest.json"))) == web.digest)
        #expect(throws: Tool.Failure.self) {
            try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--cert-dir", tls.certDirectory, "--creds", "puller:nope",
                                             "docker://\(server.address)/apps/web:1.0"])
        }
        #expect(server.logText.contains("wrong password for puller"), "\(server.logText)")
        #expect(!server.logText.contains("s3cret-pw"))

        // A plain-HTTP client gets nothing from an HTTPS server (curl: empty reply).
        #expect(throws: Tool.Failure.self) { try FerryServer.curl([], "http://\(server.address)/v2/") }
    }

    /// Rule (issue 19, item 2): with import's naming options the server answers under the
    /// names `ferry import` gives, and a real client pulls from there with the bundle's digest.
    @Test func importNamingServesImportsNames() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 24)
        let dir = try Self.scratch("names")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let export = try CLITests.ferry(["export", web.reference, multi.reference, "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let naming = ["--prefix", "site/team", "--flatten", "1"]
        let imported = try CLITests.ferry(["import", "b.tar", "--to", target.host + "/site/team", "--flatten", "1", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        let server = try FerryServer.start([dir + "/b.tar"] + naming, in: dir)
        defer { server.stop() }
        for image in [web, multi] {
            let path = "site/team/" + image.repositoryAndTag.split(separator: "/").dropFirst().joined(separator: "/")
            // The name import gave it in distribution, and the same name on the server.
            let pushed = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target.host)/\(path)"])
            #expect(Self.sha256(Data(pushed.utf8)) == image.digest, "\(path) in distribution")
            _ = try Tool.run("/usr/bin/skopeo", ["copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                                                 "docker://\(server.address)/\(path)", "dir:\(dir)/copy-\(image.tag)"])
            let copied = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/copy-\(image.tag)/manifest.json"))
            #expect(Self.sha256(copied) == image.digest, "\(path) from ferry serve")
        }
        #expect(try server.get("/v2/apps/web/manifests/1.0").status == 404, "the original name is not served beside the new one")
    }
}
