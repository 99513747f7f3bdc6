import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 7, load): 200 small images go through `ferry export` into one bundle and
/// `ferry import` into a second registry with every digest unchanged, in bounded memory (peak
/// RSS under 128 MiB, measured by GNU time) and without leaking file descriptors: each run has
/// `ulimit -n 256`, and the open descriptors sampled from /proc stay far below the number of
/// images. The figures are printed for the record. The 2 GB-layer half is `scripts/load-test`.
@Suite(.serialized) struct LoadTests {
    static let imageCount = 200
    static let rssLimitKiB = 128 * 1024
    static let fdLimit = 256

    /// What one measured run of the binary gave.
    struct Measured {
        var status: Int32
        var stdout: String
        var stderr: String
        /// GNU time's "Maximum resident set size", KiB.
        var peakRSSKiB: Int
        /// Most descriptors ferry had open at one sample (every 5 ms).
        var peakOpenFDs: Int
        /// ferry's "Max open files" soft limit, as /proc showed it.
        var fdSoftLimit: Int?
        var seconds: Double
    }

    /// Runs `ferry arguments` as `sh -c 'ulimit -n 256; exec time -v ferry …'`, sampling the
    /// ferry process's open descriptors from /proc while it runs.
    static func measure(_ arguments: [String], directory: String) throws -> Measured {
        let out = directory + "/run-\(UUID().uuidString)"
        try Data().write(to: URL(fileURLWithPath: out + ".out"))
        try Data().write(to: URL(fileURLWithPath: out + ".err"))
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".out"))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: out + ".err"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -n \(fdLimit) && exec /usr/bin/time -v \"$0\" \"$@\"", CLITests.binary] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory  // no stray auth files
        environment.removeValue(forKey: "REGISTRY_AUTH_FILE")
        environment.removeValue(forKey: "XDG_RUNTIME_DIR")
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = stdout
        process.standardError = stderr
        let start = Date()
        try process.run()
        let timePID = process.processIdentifier
        var peakFDs = 0
        var softLimit: Int?
        while process.isRunning {
            for child in children(of: timePID) {
                if let count = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child)/fd").count {
                    peakFDs = max(peakFDs, count)
                }
                if softLimit == nil { softLimit = openFilesLimit(of: child) }
            }
            usleep(5000)
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        try stdout.close()
        try stderr.close()
        let errText = try String(contentsOfFile: out + ".err", encoding: .utf8)
        let rss = errText.split(separator: "\n").first { $0.contains("Maximum resident set size") }
            .flatMap { $0.split(separator: ":").last }.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return Measured(status: process.terminationStatus, stdout: try String(contentsOfFile: out + ".out", encoding: .utf8),
                        stderr: errText, peakRSSKiB: rss ?? -1, peakOpenFDs: peakFDs, fdSoftLimit: softLimit, seconds: seconds)
    }

    /// The children of `pid` (GNU time has one: ferry).
    static func children(of pid: Int32) -> [Int32] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return [] }
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// The soft "Max open files" limit of `pid`.
    static func openFilesLimit(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first.flatMap { Int($0) }
    }

    static func record(_ label: String, _ run: Measured) {
        print("load-test: \(label): \(String(format: "%.1f", run.seconds)) s, peak RSS \(run.peakRSSKiB / 1024) MiB (\(run.peakRSSKiB) KiB), peak open fds \(run.peakOpenFDs) (limit \(run.fdSoftLimit.map(String.init) ?? "?"))")
    }

    static func expectBounded(_ label: String, _ run: Measured) {
        #expect(run.status == 0, "\(label): \(run.stderr.suffix(3000))")
        #expect(run.fdSoftLimit == fdLimit, "\(label): the fd limit did not apply")
        #expect(run.peakRSSKiB > 0 && run.peakRSSKiB < rssLimitKiB, "\(label): peak RSS \(run.peakRSSKiB) KiB")
        // A descriptor per image or blob would show here: there are 200 images and ~400 blobs.
        #expect(run.peakOpenFDs > 3 && run.peakOpenFDs < 100, "\(label): \(run.peakOpenFDs) descriptors open at once")
    }

    @Test func twoHundredImagesExportAndImportInBoundedMemory() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.pusher.push(profile: "many", seed: 7, count: Self.imageCount)
        try #require(corpus.images.count == Self.imageCount)
        #expect(Set(corpus.images.map(\.digest)).count == Self.imageCount, "every image has its own digest")
        let dir = NSTemporaryDirectory() + "ferry-load-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try corpus.images.map(\.reference).joined(separator: "\n").write(toFile: dir + "/images.txt", atomically: true, encoding: .utf8)

        let export = try Self.measure(["export", "-f", "images.txt", "-o", "bundle.tar", "--format", "json", "-q"], directory: dir)
        Self.record("export of \(Self.imageCount) images", export)
        Self.expectBounded("export", export)
        struct ExportReport: Decodable { var images: [Image]; struct Image: Decodable { var reference: String; var digest: String } }
        let exported = try JSONDecoder().decode(ExportReport.self, from: Data(export.stdout.utf8))
        #expect(exported.images.count == Self.imageCount)
        for image in corpus.images {
            #expect(exported.images.contains { $0.reference == image.reference && $0.digest == image.digest }, "\(image.reference)")
        }

        let imported = try Self.measure(["import", "bundle.tar", "--to", target.host, "--format", "json", "-q"], directory: dir)
        Self.record("import of \(Self.imageCount) images", imported)
        Self.expectBounded("import", imported)

        // The oracle: each tag in the target registry, fetched and hashed, is the pushed image.
        let client = RegistryClient(http: HTTPClient())
        for image in corpus.images {
            let fetched = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(image.repository):\(image.tag)"))
            #expect(fetched.digest.description == image.digest, "\(image.repository):\(image.tag)")
        }
    }
}
