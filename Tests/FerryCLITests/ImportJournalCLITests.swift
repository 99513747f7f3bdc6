import FerryTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 18, item 4): an import of a ferry bundle writes down each batch of images it
/// finished, keyed by the bundle's content index and the target; a rerun after a kill sends no
/// request at all (no HEAD) for those images, and finishes the rest.
@Suite(.serialized) struct ImportJournalCLITests {
    struct Report: Decodable {
        var images: [Image]
        var imagesSkipped: Int
        var journal: String?
        struct Image: Decodable { var destination: String }
    }

    @Test func killedImportsRerunSkipsFinishedImages() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        // 80 images, four tags in each of 20 repositories (load/app-000 … app-019): the first
        // batch of 64 is repositories 000-015.
        let corpus = try await source.pusher.push(profile: "many", seed: 182, count: 80)
        let dir = NSTemporaryDirectory() + "ferry-journal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "b.tar", "-q"], directory: dir).status == 0)

        // The second batch's last repository never gets its manifests: the import hangs there
        // with the first batch written down, and is killed.
        let proxy = try FaultProxy(upstream: target.host, rules: [
            ProxyRule(method: "PUT", pathContains: "/load/app-019/manifests/", fault: .hold(seconds: 120), times: Int.max),
        ])
        defer { proxy.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["import", "b.tar", "--to", "\(proxy.address)/x", "--state-dir", "state", "-q"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var lines = 0
        while lines < 65 && Date() < deadline && process.isRunning {
            usleep(50_000)  // not Task.sleep: see CLITests.killWhenStalled
            let journals = try FileManager.default.contentsOfDirectory(atPath: dir + "/state")
            if let journal = journals.first {
                lines = try String(contentsOfFile: "\(dir)/state/\(journal)", encoding: .utf8).split(separator: "\n").count
            }
        }
        #expect(process.isRunning, "the import ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(lines == 65, "journal lines: \(lines) (a header and 64 images expected)")

        // The rerun: nothing at all for the 16 repositories whose images were all finished.
        proxy.setRules([])
        proxy.clearRequests()
        let rerun = try CLITests.ferry(["import", "b.tar", "--to", "\(proxy.address)/x", "--state-dir", "state", "--format", "json"], directory: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(rerun.stdout.utf8))
        #expect(report.imagesSkipped == 64 && report.images.count == 80)
        // Finished: the journal is gone, so a later run asks the registry again.
        #expect(report.journal == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/state").isEmpty)
        let finished = (0..<16).map { String(format: "/v2/x/load/app-%03d/", $0) }
        let requests = proxy.requests()
        let touching = requests.filter { request in
            let path = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.target
            return finished.contains { path.hasPrefix($0) }
        }
        #expect(touching.isEmpty, "requests for finished images: \(touching.prefix(5))")
        #expect(requests.contains { $0.method == "HEAD" && $0.target.hasPrefix("/v2/x/load/app-019/") }, "the unfinished images were not checked")

        // The target is whole.
        let check = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/x"], directory: dir)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // An image that fails (--keep-going) keeps the journal, listing the others; the run
        // after it, against the same target, sends requests for the failed image only.
        proxy.setRules([ProxyRule(method: "PUT", pathContains: "/y/load/app-007/manifests/", fault: .status(400), times: Int.max)])
        let failing = try CLITests.ferry(["import", "b.tar", "--to", "\(proxy.address)/y", "--state-dir", "state", "--keep-going",
                                          "--format", "json"], directory: dir)
        #expect(failing.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/state").count == 1)
        proxy.setRules([])
        proxy.clearRequests()
        let mended = try CLITests.ferry(["import", "b.tar", "--to", "\(proxy.address)/y", "--state-dir", "state", "--format", "json"], directory: dir)
        #expect(mended.status == 0, "\(mended.stderr)")
        #expect(try JSONDecoder().decode(Report.self, from: Data(mended.stdout.utf8)).imagesSkipped == 76)
        #expect(proxy.requests().allSatisfy { $0.target.hasPrefix("/v2/y/load/app-007/") || $0.target == "/v2/" }, "\(proxy.requests().prefix(5))")

        // By default the journal sits beside the bundle while a run is unfinished, and is gone
        // after it; --no-journal keeps none at all.
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/z", "--no-journal", "-q"], directory: dir).status == 0)
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/z", "-q"], directory: dir).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".journal") }.isEmpty)
    }
}
