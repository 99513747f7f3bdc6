import FerryArtifacts
import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules: a `--file` names a path and an optional NAME[:TAG] (files/<name>:latest under
/// localhost/ by default, never a Docker Hub name), and its artifact is ORAS's layout with the
/// mode added and no clock in it.
@Suite struct FileArtifactTests {
    @Test(arguments: [
        ("kubectl", "localhost/files/kubectl:latest", "kubectl"),
        ("bin/Install Me.SH", "localhost/files/install-me.sh:latest", "Install Me.SH"),
        ("k=tools/kubectl:1.29", "localhost/tools/kubectl:1.29", "k"),
        ("k=registry.example.com/tools/kubectl", "registry.example.com/tools/kubectl:latest", "k"),
        ("k=localhost:5000/kubectl:v1", "localhost:5000/kubectl:v1", "k"),
        ("./a/../.hidden", "localhost/files/hidden:latest", ".hidden"),
    ])
    func requests(_ text: String, _ reference: String, _ title: String) throws {
        let request = try FileRequest(parsing: text, directory: "/work")
        #expect(request.reference.description == reference)
        #expect(request.title == title)
        #expect(request.path.hasPrefix("/"))
    }

    @Test(arguments: ["", "=x:1", "k=", "k=Bad/Name", "k=x@sha256:" + String(repeating: "0", count: 64), "/"])
    func badRequests(_ text: String) {
        #expect(throws: FerryArtifactsError.self) { try FileRequest(parsing: text, directory: "/work") }
    }

    @Test func manifestIsOrasLayoutWithMode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-file-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // formats/file-artifact/examples: a.txt (mode 0750 here) and the manifest it gives.
        try Data(try Fixtures.bytes("file-artifact/examples/a.txt")).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: dir + "/a.txt")
        let artifact = try FileArtifact.prepare(try FileRequest(parsing: "a.txt", directory: dir), scratch: dir + "/scratch")
        let expected = String(decoding: try Fixtures.bytes("file-artifact/examples/manifest.json"), as: UTF8.self)
        #expect(String(decoding: artifact.manifest, as: UTF8.self) == expected)
        #expect(artifact.digest == DigestHasher.digest(of: artifact.manifest))
    }

    @Test(arguments: [("a.txt", true), ("..", false), (".", false), ("a/b", false), ("", false), ("x\0y", false),
                      (String(repeating: "n", count: 256), false), (".profile", true)])
    func titles(_ title: String, _ safe: Bool) {
        #expect(FileSystem.isPlainFileName(title) == safe)
    }
}
