import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 20): `ferry export --file` carries plain files as ORAS-style artifacts. They
/// round-trip byte for byte with their mode through export → verify → import → extract, the
/// same file gives the same digest, oras pulls what import pushed, and extract writes only
/// verified bytes, never over a file it did not write.
@Suite(.serialized) struct FileCLITests {
    static func mode(_ path: String) throws -> Int {
        try #require((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func filesRoundTripWithTheirMode() async throws {
        let dir = try ServeCLITests.scratch("file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tool = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let notes = Data("read me first\n".utf8)
        try tool.write(to: URL(fileURLWithPath: dir + "/tool.sh"))
        try notes.write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        // setuid on the way in: recorded, but extract never makes a setuid file.
        try FileManager.default.setAttributes([.posixPermissions: 0o4755], ofItemAtPath: dir + "/tool.sh")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: dir + "/notes.txt")
        let arguments = ["--file", "tool.sh", "--file", "notes.txt=docs/notes:1.0", "--format", "json"]

        var digests: [[String]] = []
        for name in ["f.tar", "g.tar"] {
            let run = try CLITests.ferry(["export", "-o", name] + arguments, directory: dir)
            #expect(run.status == 0, "\(run.stderr)")
            let images = try #require(try Self.json(run.stdout)["images"] as? [[String: Any]])
            #expect(images.compactMap { $0["reference"] as? String }.sorted() == ["localhost/docs/notes:1.0", "localhost/files/tool.sh:latest"])
            digests.append(images.compactMap { $0["digest"] as? String }.sorted())
        }
        #expect(digests[0] == digests[1], "the same files give the same digests")
        let verify = try CLITests.ferry(["verify", "f.tar", "-q"], directory: dir)
        #expect(verify.status == 0, "\(verify.stderr)")
        let inspect = try CLITests.ferry(["inspect", "f.tar", "--format", "json"], directory: dir)
        let listed = try #require(try Self.json(inspect.stdout)["images"] as? [[String: Any]])
        let carried = listed.flatMap { ($0["files"] as? [[String: Any]]) ?? [] }
        #expect(Set(carried.compactMap { $0["name"] as? String }) == ["tool.sh", "notes.txt"])
        #expect(carried.contains { $0["name"] as? String == "tool.sh" && $0["size"] as? Int == tool.count })

        // Out of the bundle, no registry: bytes and modes as they went in; a rerun keeps them.
        let extract = try CLITests.ferry(["extract", "f.tar", "-o", "out", "--format", "json"], directory: dir)
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/tool.sh")) == tool)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out/notes.txt")) == notes)
        #expect(try Self.mode(dir + "/out/tool.sh") == 0o755)
        #expect(try Self.mode(dir + "/out/notes.txt") == 0o640)
        let again = try CLITests.ferry(["extract", "f.tar", "-o", "out", "--format", "json"], directory: dir)
        let files = try #require(try Self.json(again.stdout)["files"] as? [[String: Any]])
        #expect(files.count == 2 && files.allSatisfy { $0["present"] as? Bool == true })
        // Only what is named; never over a file with other bytes.
        let one = try CLITests.ferry(["extract", "f.tar", "-o", "one", "notes.txt", "-q"], directory: dir)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/one") == ["notes.txt"])
        try Data("mine".utf8).write(to: URL(fileURLWithPath: dir + "/one/notes.txt"))
        let clash = try CLITests.ferry(["extract", "f.tar", "-o", "one", "notes.txt", "-q"], directory: dir)
        #expect(clash.status == 74, "\(clash.stderr)")
        #expect(try String(contentsOfFile: dir + "/one/notes.txt", encoding: .utf8) == "mine")
        let unknown = try CLITests.ferry(["extract", "f.tar", "-o", "one", "nothing-here", "-q"], directory: dir)
        #expect(unknown.status == 65 && unknown.stderr.contains("nothing-here"), "\(unknown.stderr)")

        // Into a registry: oras pulls the file under its name, byte for byte.
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let imported = try CLITests.ferry(["import", "f.tar", "--to", registry.host + "/site", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        let pulled = try await OrasPy.pull("\(registry.host)/site/files/tool.sh:latest", into: dir + "/oras")
        #expect(pulled.map { ($0 as NSString).lastPathComponent } == ["tool.sh"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/oras/tool.sh")) == tool)
        // And straight out of the bundle through ferry serve, with no registry at all.
        let server = try FerryServer.start([dir + "/f.tar"], in: dir)
        defer { server.stop() }
        _ = try await OrasPy.pull("\(server.address)/docs/notes:1.0", into: dir + "/served")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/served/notes.txt")) == notes)

        // A damaged layer: extract stops (76) and writes nothing under the file's name.
        let bundle = try Data(contentsOf: URL(fileURLWithPath: dir + "/f.tar"))
        let marker = try #require(bundle.range(of: tool.prefix(64)))
        var damaged = bundle
        damaged[marker.lowerBound + 10] ^= 0xff
        try damaged.write(to: URL(fileURLWithPath: dir + "/d.tar"))
        let broken = try CLITests.ferry(["extract", "d.tar", "-o", "broken", "tool.sh", "-q"], directory: dir)
        #expect(broken.status == 76, "\(broken.stderr)")
        #expect(broken.stderr.contains("tool.sh") || broken.stderr.contains("files/tool.sh"), "\(broken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/broken/tool.sh"))
    }

    @Test func missingFilesAndDirectoriesAreRefusedUpFront() throws {
        let dir = try ServeCLITests.scratch("nofile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (argument, words) in [("missing.bin", "No such file"), ("/dev/null", "not a regular file or directory"), ("x=bad name:1", "not a valid artifact name")] {
            let run = try CLITests.ferry(["export", "--file", argument, "-o", "x.tar", "-q"], directory: dir)
            #expect(run.status == 65, "\(argument): \(run.stderr)")
            #expect(run.stderr.contains(words), "\(argument): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.tar"))
        }
        // Two files that would get one name.
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true)
            try Data(sub.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(sub)/x.conf"))
        }
        let twice = try CLITests.ferry(["export", "--file", "a/x.conf", "--file", "b/x.conf", "-o", "x.tar", "-q"], directory: dir)
        #expect(twice.status == 65 && twice.stderr.contains("would both be localhost/files/x.conf:latest"), "\(twice.stderr)")
    }

    /// Rule: a bundle that titles a file `../escape` (or any name with a `/`) is refused, and
    /// nothing is written outside the output directory.
    @Test func hostileTitlesAreRefused() throws {
        let dir = try ServeCLITests.scratch("hostile-file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("payload\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        let export = try CLITests.ferry(["export", "--file", "a.txt", "-o", "layout/", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        // Retitle the layer in the manifest, store it under its new digest, point index.json at it.
        let indexURL = URL(fileURLWithPath: dir + "/layout/index.json")
        var index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
        var entries = try #require(index["manifests"] as? [[String: Any]])
        let old = try #require(entries.first?["digest"] as? String)
        let oldURL = URL(fileURLWithPath: dir + "/layout/blobs/sha256/" + old.dropFirst("sha256:".count))
        let manifest = String(decoding: try Data(contentsOf: oldURL), as: UTF8.self)
        for title in ["../escape.txt", "sub/escape.txt"] {
            let hostile = Data(manifest.replacingOccurrences(of: "\"org.opencontainers.image.title\":\"a.txt\"",
                                                             with: "\"org.opencontainers.image.title\":\"\(title)\"").utf8)
            #expect(hostile != Data(manifest.utf8))
            let digest = ServeCLITests.sha256(hostile)
            try hostile.write(to: URL(fileURLWithPath: dir + "/layout/blobs/sha256/" + digest.dropFirst("sha256:".count)))
            entries[0]["digest"] = digest
            entries[0]["size"] = hostile.count
            index["manifests"] = entries
            try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
            let run = try CLITests.ferry(["extract", "layout/", "-o", "out/inner", "-q"], directory: dir)
            #expect(run.status == 65, "\(title): \(run.stderr)")
            #expect(run.stderr.contains("not a plain file name"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/escape.txt"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/inner/sub"))
        }
    }

    /// Rule: a directory travels as one reproducible tar+gzip layer (as oras packs one), comes
    /// back with its tree, bytes and modes through extract and through oras after import; a
    /// symlink in it is refused at export, and a layer whose entries leave the directory is
    /// refused at extract with nothing written.
    @Test func directoriesRoundTrip() async throws {
        let dir = try ServeCLITests.scratch("dir")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        for sub in ["kit/bin", "kit/etc", "kit/var/empty"] { try fm.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true) }
        let files: [(String, String, Int)] = [("kit/bin/run me.sh", "#!/bin/sh\necho hi\n", 0o755), ("kit/etc/conf", "secret=1\n", 0o600),
                                              ("kit/README", String(repeating: "x", count: 70_000), 0o644)]
        for (path, text, mode) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(path)"))
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: "\(dir)/\(path)")
        }
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir + "/kit/var/empty")
        var digests: [String] = []
        for name in ["d1.tar", "d2.tar"] {
            let run = try CLITests.ferry(["export", "--file", "kit", "-o", name, "--format", "json"], directory: dir)
            #expect(run.status == 0, "\(run.stderr)")
            let images = try #require(try Self.json(run.stdout)["images"] as? [[String: Any]])
            digests.append(try #require(images.first?["digest"] as? String))
            // A new mtime changes nothing: only names, modes and bytes count.
            try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: dir + "/kit/README")
        }
        #expect(digests[0] == digests[1])
        #expect(try CLITests.ferry(["verify", "d1.tar", "-q"], directory: dir).status == 0)

        func expectTree(_ root: String) throws {
            for (path, text, mode) in files {
                let copy = root + "/" + path
                #expect(try String(contentsOfFile: copy, encoding: .utf8) == text, "\(copy)")
                #expect(try Self.mode(copy) == mode, "\(copy)")
            }
            #expect(try Self.mode(root + "/kit/var/empty") == 0o700)
        }
        let extract = try CLITests.ferry(["extract", "d1.tar", "-o", "out", "-q"], directory: dir)
        #expect(extract.status == 0, "\(extract.stderr)")
        try expectTree(dir + "/out")
        let again = try CLITests.ferry(["extract", "d1.tar", "-o", "out", "--format", "json"], directory: dir)
        let report = try #require(try Self.json(again.stdout)["files"] as? [[String: Any]])
        #expect(report.first?["present"] as? Bool == true && report.first?["directory"] as? Bool == true, "\(again.stdout)")

        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        #expect(try CLITests.ferry(["import", "d1.tar", "--to", registry.host, "-q"], directory: dir).status == 0)
        _ = try await OrasPy.pull("\(registry.host)/files/kit:latest", into: dir + "/oras")
        try expectTree(dir + "/oras")

        // A symlink is not carried.
        try fm.createSymbolicLink(atPath: dir + "/kit/link", withDestinationPath: "/etc/passwd")
        let linked = try CLITests.ferry(["export", "--file", "kit", "-o", "l.tar", "-q"], directory: dir)
        #expect(linked.status == 65 && linked.stderr.contains("kit/link"), "\(linked.stderr)")
        try fm.removeItem(atPath: dir + "/kit/link")

        // A layer whose entries climb out of kit/: refused, nothing written.
        #expect(try CLITests.ferry(["export", "--file", "kit", "-o", "layout/", "-q"], directory: dir).status == 0)
        let rewrite = """
        import hashlib, io, json, os, sys, tarfile
        root = sys.argv[1]
        def blob(d): return os.path.join(root, "blobs", "sha256", d.split(":")[1])
        def put(data):
            d = "sha256:" + hashlib.sha256(data).hexdigest()
            open(blob(d), "wb").write(data)
            return d
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for name in ["kit", "kit/../../escaped.txt"]:
                info = tarfile.TarInfo(name)
                if name == "kit":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                else:
                    info.size = 4
                    tar.addfile(info, io.BytesIO(b"evil"))
        index = json.load(open(os.path.join(root, "index.json")))
        entry = index["manifests"][0]
        manifest = json.load(open(blob(entry["digest"])))
        layer = raw.getvalue()
        manifest["layers"][0]["digest"] = put(layer)
        manifest["layers"][0]["size"] = len(layer)
        data = json.dumps(manifest).encode()
        entry["digest"] = put(data)
        entry["size"] = len(data)
        json.dump(index, open(os.path.join(root, "index.json"), "w"))
        """
        _ = try Tool.run("/usr/bin/env", ["python3", "-c", rewrite, dir + "/layout"])
        try fm.createDirectory(atPath: dir + "/deep/inner", withIntermediateDirectories: true)
        let hostile = try CLITests.ferry(["extract", "layout/", "-o", "deep/inner", "-q"], directory: dir)
        #expect(hostile.status == 65, "\(hostile.stderr)")
        #expect(hostile.stderr.contains("not a plain path"), "\(hostile.stderr)")
        #expect(!fm.fileExists(atPath: dir + "/escaped.txt") && !fm.fileExists(atPath: dir + "/deep/escaped.txt"))
        #expect(!fm.fileExists(atPath: dir + "/deep/inner/kit"))
        #expect(try fm.contentsOfDirectory(atPath: dir + "/deep/inner").isEmpty, "no staging left behind")
    }
}
