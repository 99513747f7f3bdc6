import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 6, formats/sync-files/SPEC.md): `ferry discover` prints the images of
/// Kubernetes manifests (list or images.json) and reports bad ones with exit 65; `ferry export
/// -f` takes image-syncer and skopeo sync files by content, expands tags against the registry
/// and logs the selection; `--auth-syncer` supplies credentials to export and import.
@Suite(.serialized) struct InputFilesCLITests {
    static let examples = Fixtures.url("sync-files/examples").path

    /// Runs ferry with `input` on stdin.
    static func ferry(_ arguments: [String], stdin input: String, environment: [String: String] = [:]) throws -> CLITests.Run {
        let file = NSTemporaryDirectory() + "ferry-stdin-\(UUID().uuidString)"
        try Data(input.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \"$@\" < \"$FERRY_TEST_STDIN\"", CLITests.binary] + arguments
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = NSTemporaryDirectory() + "ferry-cli-home-\(UUID().uuidString)"
        env["FERRY_TEST_STDIN"] = file
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = NSTemporaryDirectory() + "ferry-out-\(UUID().uuidString)", err = out + ".err"
        try Data().write(to: URL(fileURLWithPath: out))
        try Data().write(to: URL(fileURLWithPath: err))
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return CLITests.Run(status: process.terminationStatus,
                            stdout: try String(contentsOfFile: out, encoding: .utf8),
                            stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    @Test func discoverPrintsTheExpectedList() throws {
        let run = try CLITests.ferry(["discover", Self.examples + "/kubernetes"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == (try Fixtures.text("sync-files/examples/kubernetes.expected.txt")))
        #expect(run.stderr.isEmpty)
    }

    @Test func discoverReadsStdinAndWritesImagesJSON() throws {
        let helm = try Fixtures.text("sync-files/examples/kubernetes/helm-rendered.yaml")
        let run = try Self.ferry(["discover", "-", "--output-format", "images-json"], stdin: helm)
        #expect(run.status == 0, "\(run.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: String]
        #expect(parsed == ["docker.io/bitnami/redis-exporter:1.60.0-debian-12-r2": "", "docker.io/bitnami/redis:7.2.5-debian-12-r0": "",
                           "docker.io/library/busybox:latest": "", "ghcr.io/example/shop-web:2.8.1": ""])
    }

    /// Files, directories and stdin together; duplicates across them appear once.
    @Test func discoverMergesPathsAndStdin() throws {
        let run = try Self.ferry(["discover", Self.examples + "/kubernetes/cronjob-backup.yaml", "-"],
                                 stdin: "kind: Pod\nspec:\n  containers:\n  - image: postgres:16.3\n  - image: redis:7\n")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "docker.io/amazon/aws-cli:2.15.40\ndocker.io/library/postgres:16.3\ndocker.io/library/redis:7\n")
    }

    @Test func discoverReportsInvalidImagesWithFileAndDocument() throws {
        let run = try CLITests.ferry(["discover", Self.examples + "/kubernetes-invalid"])
        #expect(run.status == 65)
        #expect(run.stdout == "docker.io/library/alpine:3.20\n")
        #expect(run.stderr.contains("unrendered.yaml: document 1: Deployment/api: containers[0]"))
        #expect(run.stderr.contains("unrendered.yaml: document 2: Pod/tools: containers[1]"))
        #expect(run.stderr.contains("broken.yaml: document 1: not valid YAML"))
        let ignoring = try CLITests.ferry(["discover", "--ignore-invalid", Self.examples + "/kubernetes-invalid"])
        #expect(ignoring.status == 0)
        #expect(ignoring.stderr.contains("ferry: warning:"))
        let missing = try CLITests.ferry(["discover", "/nonexistent/ferry-k8s"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("/nonexistent/ferry-k8s"))
    }

    /// Bad input files fail with 65 before any network traffic (the registry does not exist).
    @Test(arguments: [
        (["export", "-f", "\(examples)/image-syncer/auth.json", "-o", "/tmp/ferry-x.tar"], "--auth-syncer"),
        (["export", "-f", "\(examples)/kubernetes/cronjob-backup.yaml", "-o", "/tmp/ferry-x.tar"], "ferry discover"),
        (["export", "127.0.0.1:9/a:1", "--auth-syncer", "\(examples)/image-syncer/auth.json", "-o", "/tmp/ferry-x.tar"], "quay.io.password"),
        (["import", "/nonexistent.tar", "--to", "127.0.0.1:9", "--auth-syncer", "/nonexistent/auth.json"], "/nonexistent/auth.json"),
    ])
    func badInputFilesExit65(_ arguments: [String], _ mention: String) throws {
        let run = try CLITests.ferry(arguments)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains(mention), "\(run.stderr)")
    }

    /// --log and --result must go into an existing directory: a usage error (64) up front.
    @Test(arguments: ["--log", "--result"])
    func recordFilesNeedAnExistingDirectory(_ flag: String) throws {
        let run = try CLITests.ferry(["export", "127.0.0.1:9/a:1", "-o", "/tmp/ferry-x.tar", flag, "/nonexistent/ferry/out"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("must exist"))
    }

    @Test func imagesFileWithBadYAMLShowsBothReadings() throws {
        let dir = NSTemporaryDirectory() + "ferry-inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("a.io/b:1: c.io/d\n  bad: [\n".utf8).write(to: URL(fileURLWithPath: dir + "/images.yaml"))
        let run = try CLITests.ferry(["export", "-f", dir + "/images.yaml", "-o", dir + "/x.tar"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("images.yaml:1:") && run.stderr.contains("not YAML"), "\(run.stderr)")
    }

    /// End to end against an htpasswd registry: export from an images.yaml (regex) and from a
    /// skopeo file (semver) with --auth-syncer, then import the bundle with --auth-syncer.
    @Test func exportFromSyncFilesAndImportWithSyncerAuth() async throws {
        let user = "syncer", password = "p4ss word"
        let registry = try await TestRegistry.start(auth: .htpasswd(user: user, password: password))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 64)
        let client = RegistryClient(http: HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 4)),
                                    configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.05, maximumDelay: 1)),
                                    credentials: StaticCredentials(Credential(username: user, password: password)))
        let web = try #require(corpus.image("apps/web:1.0"))
        for blob in web.blobs {
            _ = try await client.mountBlob(registry: registry.host, repository: "sel/app", digest: try Digest(parsing: blob), from: "apps/web")
        }
        let manifest = try await client.fetchManifest(try ImageReference(parsing: web.reference))
        for tag in ["1.0.0", "1.2.3", "v1.3.0", "2.0.0", "latest", "1.2.3-rc1"] {
            try await client.putManifest(registry: registry.host, repository: "sel/app", reference: tag,
                                         bytes: manifest.bytes, mediaType: manifest.mediaType, digest: manifest.digest)
        }

        let dir = NSTemporaryDirectory() + "ferry-inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h = registry.host
        try Data("{\"\(h)\": {\"username\": \"\(user)\", \"password\": \"${FERRY_SYNC_PW}\"}}".utf8).write(to: URL(fileURLWithPath: dir + "/auth.json"))
        try Data("\(h)/sel/app:/^v?1\\.[0-9]+\\.[0-9]+$/: mirror.local/sel/app\n\(h)/apps/web:latest: \"\"\n".utf8).write(to: URL(fileURLWithPath: dir + "/images.yaml"))
        try Data("\(h):\n  images-by-semver:\n    sel/app: \">= 1.2.0, < 2.0.0\"\n".utf8).write(to: URL(fileURLWithPath: dir + "/sync.yaml"))
        let env = ["FERRY_SYNC_PW": password]

        struct Report: Decodable { struct Image: Decodable { var reference: String; var digest: String }; var images: [Image] }
        let fromImages = try CLITests.ferry(["export", "-f", dir + "/images.yaml", "--auth-syncer", dir + "/auth.json",
                                             "-o", dir + "/a.tar", "--format", "json"], environment: env)
        #expect(fromImages.status == 0, "\(fromImages.stderr)")
        let reportA = try JSONDecoder().decode(Report.self, from: Data(fromImages.stdout.utf8))
        #expect(Set(reportA.images.map(\.reference)) == Set(["sel/app:1.0.0", "sel/app:1.2.3", "sel/app:v1.3.0", "apps/web:latest"].map { "\(h)/\($0)" }))
        #expect(reportA.images.allSatisfy { $0.digest == manifest.digest.description })
        #expect(fromImages.stderr.contains("tags matching /^v?1\\.[0-9]+\\.[0-9]+$/, 3 of 6 listed tags: 1.0.0, 1.2.3, v1.3.0 → mirror.local/sel/app"), "\(fromImages.stderr)")
        #expect(!fromImages.stderr.contains(password) && !fromImages.stdout.contains(password))

        let fromSkopeo = try CLITests.ferry(["export", "-f", dir + "/sync.yaml", "--auth-syncer", dir + "/auth.json",
                                             "-o", dir + "/b.tar", "--format", "json", "-q",
                                             "--result", dir + "/export-result.json", "--log", dir + "/run.log"], environment: env)
        #expect(fromSkopeo.status == 0, "\(fromSkopeo.stderr)")
        let reportB = try JSONDecoder().decode(Report.self, from: Data(fromSkopeo.stdout.utf8))
        #expect(Set(reportB.images.map(\.reference)) == ["\(h)/sel/app:1.2.3", "\(h)/sel/app:v1.3.0"])
        #expect(fromSkopeo.stderr.isEmpty, "-q: the selection goes to the log file only")

        // --result: every image with source, destination and digest; --log: the selection, no secret.
        struct Result: Decodable {
            struct Entry: Decodable { var source: String; var destination: String?; var digest: String?; var error: String? }
            var command: String; var succeeded: Int; var failed: Int; var images: [Entry]
        }
        let exportResult = try JSONDecoder().decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/export-result.json")))
        #expect(exportResult.command == "export" && exportResult.succeeded == 2 && exportResult.failed == 0)
        #expect(Set(exportResult.images.map(\.source)) == ["\(h)/sel/app:1.2.3", "\(h)/sel/app:v1.3.0"])
        #expect(exportResult.images.allSatisfy { $0.digest == manifest.digest.description && $0.destination?.hasSuffix("/b.tar") == true && $0.error == nil })
        let log = try String(contentsOfFile: dir + "/run.log", encoding: .utf8)
        #expect(log.contains("info: \(dir)/sync.yaml: \(h)/sel/app \">= 1.2.0, < 2.0.0\": tags satisfying \">= 1.2.0, < 2.0.0\", 2 of 6 listed tags: 1.2.3, v1.3.0 → the default destination"), "\(log)")
        #expect(!log.contains(password))

        // Without the auth file the registry refuses (77): the credentials came from --auth-syncer.
        let anonymous = try CLITests.ferry(["export", "-f", dir + "/sync.yaml", "-o", dir + "/c.tar",
                                            "--result", dir + "/failed.json", "--log", dir + "/run.log"])
        #expect(anonymous.status == 77, "\(anonymous.stderr)")
        let failed = try JSONDecoder().decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/failed.json")))
        #expect(failed.failed == 1 && failed.images.first?.error?.contains("not authorized") == true)
        let appended = try String(contentsOfFile: dir + "/run.log", encoding: .utf8)
        #expect(appended.hasPrefix(log) && appended.contains("error: listing the tags of \(h)/sel/app"), "\(appended)")

        let imported = try CLITests.ferry(["import", dir + "/b.tar", "--to", "\(h)/copy", "--auth-syncer", dir + "/auth.json",
                                           "--result", dir + "/import-result.json"], environment: env)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try await client.fetchManifest(try ImageReference(parsing: "\(h)/copy/sel/app:v1.3.0")).digest == manifest.digest)
        let importResult = try JSONDecoder().decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/import-result.json")))
        #expect(importResult.command == "import" && importResult.succeeded == 2)
        #expect(Set(importResult.images.compactMap(\.destination)) == ["\(h)/copy/sel/app:1.2.3", "\(h)/copy/sel/app:v1.3.0"])
        #expect(importResult.images.allSatisfy { $0.digest == manifest.digest.description })
    }
}
