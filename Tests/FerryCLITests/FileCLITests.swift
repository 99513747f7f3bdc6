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
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/tool.sh")
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
        for (argument, words) in [("missing.bin", "No such file"), (".", "not a regular file"), ("x=bad name:1", "not a valid artifact name")] {
            let run = try CLITests.ferry(["export", "--file", argument, "-o", "x.tar", "-q"], directory: dir)
            #expect(run.status == 65, "\(argument): \(run.stderr)")
            #expect(run.stderr.contains(words), "\(argument): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.tar"))
        }
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
}
