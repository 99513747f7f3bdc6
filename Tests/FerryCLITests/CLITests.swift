import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule (CLI manners): stdout carries data, stderr logs; exit codes are meaningful; bad input
/// fails before any network traffic; no secret appears in any output at any verbosity.
@Suite(.serialized) struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `ferry` binary next to the test bundle (scripts/test builds it with --build-tests).
    static var binary: String {
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return tests.appendingPathComponent("ferry").path
    }

    /// Runs ferry (or `executable` with `prefix` before the arguments, for a wrapper such as
    /// unshare or sh that then runs ferry) to completion.
    static func ferry(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                      executable: String? = nil, prefix: [String] = []) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? binary)
        process.arguments = prefix + arguments
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = NSTemporaryDirectory() + "ferry-cli-home-\(UUID().uuidString)"  // no stray auth files
        env.removeValue(forKey: "REGISTRY_AUTH_FILE")
        env.removeValue(forKey: "XDG_RUNTIME_DIR")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither fills up.
        let stderrData = LockedData()
        let reader = Thread { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !stderrData.isSet { usleep(1000) }
        return Run(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                   stderr: String(decoding: stderrData.value, as: UTF8.self))
    }

    /// Runs ferry until the proxy has applied a fault (a stalled transfer), lets the other
    /// transfers go on for `grace` seconds, then SIGKILLs it; returns how it ended.
    static func killWhenStalled(_ arguments: [String], proxy: FaultProxy, grace: Double = 0.5) async throws -> Process.TerminationReason {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Polled with usleep, holding this thread, not with Task.sleep: the whole suite keeps
        // the cooperative pool busy with blocking `ferry` runs, and a poller waiting for its
        // turn woke after ferry had already got over the stall and finished (seen in CI).
        let deadline = Date().addingTimeInterval(20)
        while !proxy.requests().contains(where: { $0.appliedFault != nil }) && Date() < deadline {
            usleep(20_000)
        }
        usleep(useconds_t(grace * 1e6))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason
    }

    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build with `swift build --build-tests` first")
    }

    /// Bad input: exit 65 with a message naming the input, no network (the registry does not exist).
    @Test(arguments: [
        (["export", "Bad:Ref", "-o", "/tmp/x.tar"], "Bad:Ref"),
        (["export", "127.0.0.1:9/a@sha256:1234", "-o", "/tmp/x.tar"], "sha256:1234"),
        (["export", "127.0.0.1:9/a:1", "--platform", "linux", "-o", "/tmp/x.tar"], "linux"),
    ])
    func badInputExits65(_ arguments: [String], _ named: String) throws {
        let run = try Self.ferry(arguments)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains(named))
        #expect(run.stdout.isEmpty)
    }

    @Test func imageListErrorsNameTheLines() throws {
        let list = NSTemporaryDirectory() + "ferry-list-\(UUID().uuidString).txt"
        try "# comment\nnginx:1.27  # trailing\n\nUPPER/case\nok/repo\nbad::tag\n".write(toFile: list, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: list) }
        let run = try Self.ferry(["export", "-f", list, "-o", "/tmp/never.tar"])
        #expect(run.status == 65)
        #expect(run.stderr.contains(":4:"))
        #expect(run.stderr.contains(":6:"))
        #expect(!run.stderr.contains(":2:"))
    }

    /// A full export through the CLI: JSON result on stdout, the content index digest matches
    /// the member; with -vv and credentials in play, no secret appears anywhere.
    @Test func exportPrintsJSONAndNoSecrets() async throws {
        let password = "Sup3r-Secret-Pw"
        let registry = try await TestRegistry.start(auth: .token(user: "frank", password: password))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 31)
        let dir = NSTemporaryDirectory() + "ferry-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let authFile = dir + "/auth.json"
        let auth = Data("frank:\(password)".utf8).base64EncodedString()
        try #"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.write(toFile: authFile, atomically: true, encoding: .utf8)

        let run = try Self.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "out.tar", "--format", "json", "-vv",
                                                                                "--authfile", authFile],
                                 directory: dir)
        #expect(run.status == 0, "\(run.stderr)")
        struct Report: Decodable { var output: String; var contentIndexDigest: String; var images: [Image]; struct Image: Decodable { var reference: String; var digest: String } }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.images.count == corpus.images.count)
        for image in corpus.images { #expect(report.images.contains { $0.reference == image.reference && $0.digest == image.digest }) }
        #expect(report.output == dir + "/out.tar")
        #expect(run.stderr.contains("GET "), "debug logs should show requests")

        let bundle = try Data(contentsOf: URL(fileURLWithPath: dir + "/out.tar"))
        for secret in [password, auth, "Bearer "] {
            #expect(!run.stdout.contains(secret))
            #expect(!run.stderr.contains(secret), "stderr leaks \(secret)")
            #expect(bundle.range(of: Data(secret.utf8)) == nil, "bundle leaks \(secret)")
        }
    }

    /// An unreachable registry is exit 69 and leaves no output file.
    @Test func unreachableRegistryExits69() throws {
        let dir = NSTemporaryDirectory() + "ferry-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try FreePort.allocate()
        let run = try Self.ferry(["export", "127.0.0.1:\(port)/nothing/here:1", "-o", "out.tar", "--retries", "1"], directory: dir)
        #expect(run.status == 69, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// Rule (issue 3): a killed import never leaves a tag pointing at an incomplete image, and the
/// rerun completes.
@Suite(.serialized) struct KilledImportTests {
    @Test func sigkillMidwayThenRerun() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 61)
        let dir = NSTemporaryDirectory() + "ferry-kill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let export = try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "b.tar", "-q"], directory: dir)
        try #require(export.status == 0, "\(export.stderr)")

        // One blob upload hangs in the proxy; the rest proceed; then the process is killed.
        let proxy = try FaultProxy(upstream: target.host, rules: [
            // Held long enough that a loaded machine still kills ferry during the hold.
            ProxyRule(method: "PUT", pathContains: "/blobs/uploads/", fault: .hold(seconds: 30), times: 1),
        ])
        defer { proxy.stop() }
        let reason = try await CLITests.killWhenStalled(["import", dir + "/b.tar", "--to", proxy.address, "-q", "-j", "2"], proxy: proxy)
        #expect(reason == .uncaughtSignal)
        #expect(!proxy.requests().contains { $0.method == "PUT" && $0.target.contains("/manifests/") }, "no manifest before all blobs")
        let client = RegistryClient(http: HTTPClient())
        for image in corpus.images {
            #expect(try await client.manifestDigest(registry: target.host, repository: image.repository, reference: image.tag) == nil,
                    "\(image.repository):\(image.tag) visible after the kill")
        }

        let rerun = try CLITests.ferry(["import", dir + "/b.tar", "--to", target.host, "--format", "json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        for image in corpus.images {
            let digest = try await client.manifestDigest(registry: target.host, repository: image.repository, reference: image.tag)
            #expect(digest?.description == image.digest, "\(image.repository):\(image.tag)")
        }
    }
}
