import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 5): `ferry export --split-size` writes parts, a part index and SHA256SUMS;
/// `verify`, `inspect` and `import` take the first part; a missing part is exit 76 and is named.
@Suite(.serialized) struct SplitCLITests {
    @Test func splitCrossingThroughTheCLI() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 64)
        let dir = NSTemporaryDirectory() + "ferry-split-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let bad = try CLITests.ferry(["export", corpus.images[0].reference, "-o", "x.tar", "--split-size", "12Q"], directory: dir)
        #expect(bad.status == 64, "\(bad.stderr)")

        let export = try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "site-a.tar", "--split-size", "10K", "--format", "json", "-q"],
                                        directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        struct Report: Decodable { var parts: [String]; var partIndex: String; var checksums: String }
        let report = try JSONDecoder().decode(Report.self, from: Data(export.stdout.utf8))
        #expect(report.parts.count > 2)
        for part in report.parts {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: part)[.size] as? Int)
            #expect(size < 10_000, "\(part) is \(size) bytes")
        }
        #expect(try Tool.run("/bin/sh", ["-c", "cd '\(dir)' && sha256sum -c --quiet site-a.tar.SHA256SUMS && echo fine"]).contains("fine"))

        let verify = try CLITests.ferry(["verify", "-q", "site-a.tar.part-000"], directory: dir)
        #expect(verify.status == 0, "\(verify.stderr)")
        let inspect = try CLITests.ferry(["inspect", "site-a.tar.parts.json"], directory: dir)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains(corpus.images[0].reference))
        let imported = try CLITests.ferry(["import", "site-a.tar.part-000", "--to", target.host, "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")

        try FileManager.default.moveItem(atPath: report.parts[1], toPath: dir + "/elsewhere")
        let missing = try CLITests.ferry(["verify", "-q", "site-a.tar.part-000"], directory: dir)
        #expect(missing.status == 76, "\(missing.stderr)")
        #expect(missing.stderr.contains("part 1") && missing.stderr.contains("missing"), "\(missing.stderr)")
    }
}
