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

    /// Blobs go out with sendfile when their pages are in memory and are read otherwise: a
    /// split bundle (a blob across two parts goes out as one body) and the same bundle with its
    /// pages dropped from memory send the same bytes, whole and by Range.
    @Test func splitAndUncachedBundlesSendTheSameBytes() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 22)
        let dir = try Self.scratch("split")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = try #require(corpus.image("apps/web:1.0"))
        let export = try CLITests.ferry(["export", web.reference, "-o", "s.tar", "--split-size", "5K", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let parts = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("s.tar.part-") }.sorted()
        #expect(parts.count > 2, "\(parts)")
        let layers = web.manifests.flatMap(\.layers)
        #expect(layers.contains { $0.size > 5000 }, "a layer larger than a part spans two")
        let server = try FerryServer.start([dir + "/" + parts[0]], in: dir)
        defer { server.stop() }
        func fetchEveryLayer() throws {
            for layer in layers {
                let url = "http://\(server.address)/v2/apps/web/blobs/\(layer.digest)"
                let whole = try FerryServer.curl([], url)
                #expect(whole.status == 200 && Self.sha256(whole.body) == layer.digest)
                let middle = try FerryServer.curl(["-r", "1-\(layer.size - 2)"], url)
                #expect(middle.status == 206 && middle.body == Data(whole.body.dropFirst().dropLast()))
            }
        }
        try fetchEveryLayer()
        // Written back and dropped from the page cache: now every byte is read, not spliced.
        for part in parts {
            let descriptor = open(dir + "/" + part, O_RDONLY)
            #expect(descriptor >= 0)
            #expect(fsync(descriptor) == 0)
            #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(descriptor)
        }
        try fetchEveryLayer()
        #expect(!server.logText.contains("cut off"), "\(server.logText)")
    }

    /// A download the client abandons is logged as cut off and the server goes on. SIGTERM
    /// stops new connections and lets the download in flight finish: a blob several times
    /// larger than the socket buffers, read slowly, arrives whole, then the server exits 0.
    @Test func abandonedDownloadsAreCutAndSigtermFinishesTheOneInFlight() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(profile: "bench", seed: 23, scaleMB: 100)
        let dir = try Self.scratch("drain")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try #require(corpus.images.max { a, b in
            (a.manifests.flatMap(\.layers).map(\.size).max() ?? 0) < (b.manifests.flatMap(\.layers).map(\.size).max() ?? 0)
        })
        let layer = try #require(image.manifests.flatMap(\.layers).max { $0.size < $1.size })
        #expect(layer.size > 16 << 20, "larger than the socket buffers, and more than one sendfile segment")
        let export = try CLITests.ferry(["export", image.reference, "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let server = try FerryServer.start([dir + "/b.tar"], in: dir)
        defer { server.stop() }
        let url = "http://\(server.address)/v2/\(image.repository)/blobs/\(layer.digest)"
        // A client that gives up mid-blob: the server logs the download as cut off, closes
        // what it had queued for it, and goes on serving.
        #expect(throws: Tool.Failure.self) {
            try Tool.run("/usr/bin/curl", ["-s", "-f", "--limit-rate", "2M", "--max-time", "1", "-o", "/dev/null", url])
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.logText.contains("cut off"), "\(server.logText)")
        #expect(try FerryServer.curl([], "http://\(server.address)/v2/").status == 200)
        // About 10 s (the verdict is already made): long enough that the download is still
        // under way a second later even with the whole suite loading both cores, where a 3 s
        // download once ended before the test woke from its 1 s sleep.
        let rate = max(layer.size / 10, 1 << 20)
        let download = try ChildProcess.launch("/usr/bin/curl", ["-s", "--limit-rate", "\(rate)", "-o", dir + "/blob", "-w", "%{http_code}", url],
                                               logPath: dir + "/curl.log")
        try await Task.sleep(for: .seconds(1))
        #expect(download.isRunning, "the download is still under way when the server is told to stop")
        kill(server.process.pid, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(throws: Tool.Failure.self, "no new connection once stopping") {
            try Tool.run("/usr/bin/curl", ["-s", "-f", "-o", "/dev/null", "http://\(server.address)/v2/"])
        }
        #expect(await download.wait() == 0)
        #expect(download.logTail(lines: 1).hasSuffix("200"), "\(download.logTail(lines: 1))")
        let body = try Data(contentsOf: URL(fileURLWithPath: dir + "/blob"))
        #expect(body.count == layer.size && Self.sha256(body) == layer.digest)
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.exitStatus == 0, "\(server.logText)")
        #expect(server.logText.components(separatedBy: "cut off").count == 2, "only the abandoned download: \(server.logText)")
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
