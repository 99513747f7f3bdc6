import FerryInputs
import FerryTestSupport
import Foundation
import Testing

/// Rule (formats/sync-files/SPEC.md, "Recognising a file"): `export -f` tells a plain list, an
/// image-syncer images file and a skopeo sync file apart by content, and refuses auth files
/// and Kubernetes manifests with a hint.
@Suite struct ImageInputFileTests {
    enum Kind: String { case plain, syncer, skopeo }

    static func kind(_ file: ImageInputFile) -> Kind {
        switch file {
        case .plainList: return .plain
        case .syncerImages: return .syncer
        case .skopeoSync: return .skopeo
        }
    }

    @Test(arguments: [
        ("image-list/examples/images.txt", Kind.plain),
        ("image-list/examples/invalid-lines.txt", .plain),
        ("sync-files/examples/image-syncer/images.json", .syncer),
        ("sync-files/examples/image-syncer/images.yaml", .syncer),
        ("sync-files/examples/skopeo/sync.yaml", .skopeo),
    ])
    func examplesAreRecognised(_ path: String, _ expected: Kind) throws {
        #expect(Self.kind(try ImageInputFile.recognise(text: try Fixtures.text(path), source: path)) == expected)
    }

    @Test(arguments: [
        ("nginx\n", Kind.plain),
        ("nginx:1.27\nquay.io/a/b@sha256:b47570c13dee13b8c82f75c40b5fe710e148d0ace9901350ec5155ef20166e39 # pinned\n", .plain),
        ("", .plain),
        ("# nothing\n", .plain),
        ("{}", .syncer),
        ("{\"auth\": {}, \"images\": {\"a.io/b:1\": \"\"}}", .syncer),
        ("a.io/b:1: c.io/d\n", .syncer),
        ("a.io:\n  images:\n    b: []\n", .skopeo),
    ])
    func contentDecides(_ text: String, _ expected: Kind) throws {
        #expect(Self.kind(try ImageInputFile.recognise(text: text, source: "f")) == expected)
    }

    @Test(arguments: [
        ("sync-files/examples/image-syncer/auth.json", "--auth-syncer"),
        ("sync-files/examples/kubernetes/cronjob-backup.yaml", "ferry discover"),
    ])
    func wrongFilesGetAHint(_ path: String, _ hint: String) throws {
        let text = try Fixtures.text(path)
        do {
            _ = try ImageInputFile.recognise(text: text, source: path)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.description.contains(hint))
        }
    }
}

/// Rule (formats/README.md, 1): every example is decoded by a test. This list is what the
/// suites here read; a new example file fails this test until a test reads it too.
@Suite struct SyncFilesExamplesCoverageTests {
    @Test func everyExampleIsReadByATest() throws {
        let root = Fixtures.url("sync-files/examples").path
        let found = try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        #expect(Set(found) == [
            "image-syncer/auth.json", "image-syncer/auth.yaml", "image-syncer/images.json", "image-syncer/images.yaml",
            "skopeo/sync.yaml", "kubernetes.expected.txt",
            "kubernetes/deployment-web.yaml", "kubernetes/statefulset-postgres.json", "kubernetes/cronjob-backup.yaml",
            "kubernetes/kubectl-get-all.yaml", "kubernetes/podlist.json", "kubernetes/helm-rendered.yaml",
            "kubernetes-invalid/unrendered.yaml", "kubernetes-invalid/broken.yaml",
        ])
    }
}
