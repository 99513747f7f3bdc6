import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 5): `ferry export --since` leaves out what the base brought; `verify --base`
/// checks the chain (exit 76 when a base does not carry what the bundle left out).
@Suite(.serialized) struct IncrementalCLITests {
    @Test func sinceAndBaseThroughTheCLI() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 72)
        let dir = NSTemporaryDirectory() + "ferry-incremental-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let web = corpus.images.filter { $0.repository == "apps/web" }.map(\.reference)
        let os = corpus.images.filter { $0.repository == "base/os" }.map(\.reference)

        #expect(try CLITests.ferry(["export"] + web + ["-o", "week1.tar", "-q"], directory: dir).status == 0)
        #expect(try CLITests.ferry(["export"] + os + ["-o", "other.tar", "-q"], directory: dir).status == 0)
        let week2 = try CLITests.ferry(["export"] + web + os + ["-o", "week2.tar", "--since", "week1.tar", "--format", "json", "-q"],
                                       directory: dir)
        #expect(week2.status == 0, "\(week2.stderr)")
        struct Report: Decodable { var blobsFromBase: Int; var baseBundles: [String] }
        let report = try JSONDecoder().decode(Report.self, from: Data(week2.stdout.utf8))
        #expect(report.blobsFromBase >= 2 && report.baseBundles.count == 1)

        let alone = try CLITests.ferry(["verify", "week2.tar"], directory: dir)
        #expect(alone.status == 0 && alone.stdout.contains("not checked here"), "\(alone.stdout)\(alone.stderr)")
        let chained = try CLITests.ferry(["verify", "-q", "week2.tar", "--base", "week1.tar"], directory: dir)
        #expect(chained.status == 0, "\(chained.stdout)\(chained.stderr)")
        let wrong = try CLITests.ferry(["verify", "week2.tar", "--base", "other.tar"], directory: dir)
        #expect(wrong.status == 76, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stdout.contains("missing-blob"), "\(wrong.stdout)")
        let layout = try CLITests.ferry(["export"] + os + ["-o", "layout/", "--since", "week1.tar"], directory: dir)
        #expect(layout.status == 64, "\(layout.stderr)")
    }
}
