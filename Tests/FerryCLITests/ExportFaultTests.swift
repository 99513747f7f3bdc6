import FerryCore
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (issues 2 and 7): a killed export leaves nothing under the output name and the rerun
/// reuses what was verified; a full disk is a clear error that leaves the previous output as
/// it was.
@Suite(.serialized) struct ExportFaultTests {
    @Test func sigkillMidwayThenRerun() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 111)
        let dir = NSTemporaryDirectory() + "ferry-kill-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // One layer download hangs in the proxy while the others complete; then the process dies.
        let proxy = try FaultProxy(upstream: registry.host, rules: [])
        defer { proxy.stop() }
        let references = corpus.images.map { "\(proxy.address)/\($0.repository):\($0.tag)" }
        let layer = try #require(corpus.image("apps/multi:2.0")?.manifests.last?.layers.last?.digest)
        proxy.setRules([ProxyRule(method: "GET", pathContains: "/blobs/\(layer)", fault: .stallAfterBodyBytes(0, seconds: 30), times: 1)])

        let reason = try await CLITests.killWhenStalled(["export"] + references + ["-o", dir + "/out.tar", "-q", "-j", "2"], proxy: proxy)
        #expect(reason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.tar"), "a killed export must not leave the output name")
        #expect(FileManager.default.fileExists(atPath: dir + "/.out.tar.ferry-partial"))

        proxy.setRules([])
        let rerun = try CLITests.ferry(["export"] + references + ["-o", dir + "/out.tar", "--format", "json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        struct Report: Decodable { var blobsReused: Int; var blobsTransferred: Int }
        let report = try JSONDecoder().decode(Report.self, from: Data(rerun.stdout.utf8))
        #expect(report.blobsReused > 0, "the rerun should reuse what the killed run verified")
        let verify = try CLITests.ferry(["verify", dir + "/out.tar", "-q"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.tar"])
    }

    /// A disk too small for the bundle: ferry reserves the whole file up front, so it fails
    /// before downloading, says so, and leaves an existing bundle of the same name untouched.
    @Test func fullDiskIsAClearErrorAndKeepsThePreviousOutput() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 112)
        let mountPoint = "/tmp/ferry-tiny-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        // A 32 KiB file system (root only; skipped where mounting is not allowed).
        guard (try? Tool.run("/bin/mount", ["-t", "tmpfs", "-o", "size=32k", "tmpfs", mountPoint])) != nil else { return }
        defer { _ = try? Tool.run("/bin/umount", [mountPoint]) }
        try Data("previous bundle".utf8).write(to: URL(fileURLWithPath: mountPoint + "/out.tar"))

        // Checked before anything is fetched (issue 17): refused with the sizes, exit 74.
        let refused = try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", mountPoint + "/out.tar"])
        #expect(refused.status == 74, "\(refused.stderr)")
        #expect(refused.stderr.contains("needs about") && refused.stderr.contains("free") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["out.tar"], "nothing written")
        // With --force it starts, and the full disk is still a clear error.
        let run = try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", mountPoint + "/out.tar", "--force"])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("No space left on device"), "\(run.stderr)")
        #expect(try String(contentsOfFile: mountPoint + "/out.tar", encoding: .utf8) == "previous bundle")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["out.tar"], "nothing half written is left")
    }
}
