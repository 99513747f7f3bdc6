import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rules (issue 15, items 6, 8 and 16): one writer per output name; the output name is a
/// regular file or nothing; a killed compressing export leaves nothing a rerun keeps.
@Suite(.serialized) struct OutputSafetyCLITests {
    static func scratch(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "ferry-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Item 6: while one export writes out.tar, a second one to the same name fails at once and
    /// touches nothing; the first then publishes its own complete bundle.
    @Test func secondExportToTheSameOutputFailsFast() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 161)
        let dir = try Self.scratch("two-writers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let proxy = try FaultProxy(upstream: registry.host, rules: [])
        defer { proxy.stop() }
        let references = corpus.images.map { "\(proxy.address)/\($0.repository):\($0.tag)" }
        let layer = try #require(corpus.image("apps/multi:2.0")?.manifests.last?.layers.last?.digest)
        // Long enough for the second export to resolve and reach its output on a loaded machine.
        proxy.setRules([ProxyRule(method: "GET", pathContains: "/blobs/\(layer)", fault: .hold(seconds: 20), times: 1)])

        let first = Process()
        first.executableURL = URL(fileURLWithPath: CLITests.binary)
        first.arguments = ["export"] + references + ["-o", dir + "/out.tar", "-q", "--format", "json"]
        let firstOutput = Pipe()
        first.standardOutput = firstOutput
        first.standardError = FileHandle.nullDevice
        try first.run()
        let deadline = Date().addingTimeInterval(20)
        while !(proxy.requests().contains(where: { $0.appliedFault != nil }) && FileManager.default.fileExists(atPath: dir + "/.out.tar.ferry-partial.lock"))
                && Date() < deadline {
            usleep(20_000)  // not Task.sleep: see CLITests.killWhenStalled
        }
        let second = try CLITests.ferry(["export"] + references + ["-o", dir + "/out.tar", "-q"])
        #expect(second.status == 74, "\(second.stderr)")
        #expect(second.stderr.contains("another ferry is writing"), "\(second.stderr)")

        let report = firstOutput.fileHandleForReading.readDataToEndOfFile()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        struct Report: Decodable { var contentIndexDigest: String? }
        let digest = try JSONDecoder().decode(Report.self, from: report).contentIndexDigest
        let verify = try CLITests.ferry(["verify", dir + "/out.tar", "--content-index-digest", try #require(digest), "-q"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.tar"], "lock or partial files left")
    }

    /// Item 8: a symbolic link, a FIFO or a device as the output is refused and left as it was
    /// (it used to be replaced by a regular file, exit 0).
    @Test func outputThatIsNotARegularFileIsRefused() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 162)
        let web = try #require(corpus.image("apps/web:1.0"))
        let dir = try Self.scratch("odd-outputs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.tar", withDestinationPath: dir + "/target.tar")
        #expect(mkfifo(dir + "/fifo.tar", 0o600) == 0)
        for (name, mention) in [("link.tar", "symbolic link"), ("fifo.tar", "a FIFO")] {
            let run = try CLITests.ferry(["export", web.reference, "-o", dir + "/" + name, "-q"])
            #expect(run.status == 74, "\(name): \(run.stderr)")
            #expect(run.stderr.contains(mention), "\(run.stderr)")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.tar") == dir + "/target.tar")
        #expect(!FileManager.default.fileExists(atPath: dir + "/target.tar"))
        var info = stat()
        #expect(lstat(dir + "/fifo.tar", &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        let device = try CLITests.ferry(["export", web.reference, "-o", "/dev/null", "-q"])
        #expect(device.status == 74, "\(device.stderr)")
    }

    /// Item 16: the temporary file a compressing export was killed in is removed by the next
    /// export to that name.
    @Test func staleCompressionTemporaryIsRemoved() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 163)
        let web = try #require(corpus.image("apps/web:1.0"))
        let dir = try Self.scratch("stale-tmp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: dir + "/.out.tar.zst.tmp-4242-123456"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/.other.tar.tmp-4242-1"))
        let run = try CLITests.ferry(["export", web.reference, "-o", dir + "/out.tar.zst", "--compress", "zstd", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [".other.tar.tmp-4242-1", "out.tar.zst"])
    }
}
