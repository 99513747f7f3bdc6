import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 6): export from an images file records each image's intended destinations in
/// the bundle (`dev.ferry.destinations`); `import -f` applies the file's destination side on
/// the isolated side, matching its rules against the tags the bundle carries, across several
/// registries; `--to` is the destination of `""` rules; without it they are an error.
@Suite(.serialized) struct ImportFileCLITests {
    @Test func importAppliesTheDestinationSideOfAnImagesFile() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let backup = try await TestRegistry.start()
        defer { backup.stop() }
        let corpus = try await source.push(seed: 94)
        let dir = NSTemporaryDirectory() + "ferry-import-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rules = """
        {
          "\(source.host)/apps/web:1.0,latest": "\(target.host)/filed/web:one,two",
          "\(source.host)/apps/multi:/^2\\\\./": ["\(target.host)/filed/multi", "\(backup.host)/backup/multi"],
          "\(source.host)/base/os:1": ""
        }
        """
        try rules.write(toFile: dir + "/images.json", atomically: true, encoding: .utf8)
        let export = try CLITests.ferry(["export", "-f", "images.json", "-o", "b.tar", "-q"], directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let index = try Tool.run("/bin/tar", ["-xOf", dir + "/b.tar", "index.json"])
        #expect(index.contains("dev.ferry.destinations") && index.contains("\(backup.host)/backup/multi:2.0"), "\(index)")

        let noDefault = try CLITests.ferry(["import", "b.tar", "-f", "images.json", "-q"], directory: dir)
        #expect(noDefault.status == 65, "\(noDefault.stderr)")

        let imported = try CLITests.ferry(["import", "b.tar", "-f", "images.json", "--to", "\(target.host)/defaults", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        func digest(_ reference: String) throws -> String {
            let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(reference)"])
            return "sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8))
        }
        let web = try #require(corpus.image("apps/web:1.0"))
        let multi = try #require(corpus.image("apps/multi:2.0"))
        #expect(try digest("\(target.host)/filed/web:one") == web.digest)
        #expect(try digest("\(target.host)/filed/web:two") == web.digest)
        #expect(try digest("\(target.host)/filed/multi:2.0") == multi.digest)
        #expect(try digest("\(backup.host)/backup/multi:2.0") == multi.digest)
        #expect(try digest("\(target.host)/defaults/os:1") == corpus.image("base/os:1")?.digest)
        // Images a file does not select are left out.
        try "{\"\(source.host)/apps/web:1.0\": \"\(backup.host)/only/web\"}".write(toFile: dir + "/subset.json", atomically: true, encoding: .utf8)
        let subset = try CLITests.ferry(["import", "b.tar", "-f", "subset.json", "--format", "json", "-q"], directory: dir)
        #expect(subset.status == 0, "\(subset.stderr)")
        struct Report: Decodable { struct Image: Decodable { var destination: String }; var images: [Image] }
        let report = try JSONDecoder().decode(Report.self, from: Data(subset.stdout.utf8))
        #expect(report.images.map(\.destination) == ["\(backup.host)/only/web:1.0"])
    }
}
