import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 17, item 3): `ferry verify BUNDLE --registry HOST[/PREFIX]` with import's naming
/// options checks that every image of the bundle is in the target with the same digest, names
/// what is missing or different, and exits 76 when anything is.
@Suite(.serialized) struct RegistryCheckCLITests {
    struct Report: Decodable {
        struct Image: Decodable { var destination: String; var ok: Bool; var problems: [String] }
        var images: [Image]
        var ok: Bool
        var blobsChecked: Int
        var tagsChecked: Int
    }

    @Test func targetIsCheckedAgainstTheBundle() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 93)
        let dir = NSTemporaryDirectory() + "ferry-regcheck-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLITests.ferry(["export"] + corpus.images.map(\.reference) + ["-o", "b.tar", "-q"], directory: dir).status == 0)

        // Before any import: everything is missing, named per image.
        let before = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/mirror", "--flatten", "1", "--format", "json"], directory: dir)
        #expect(before.status == 76, "\(before.stderr)")
        let empty = try JSONDecoder().decode(Report.self, from: Data(before.stdout.utf8))
        #expect(!empty.ok && empty.images.allSatisfy { !$0.ok && $0.problems.contains { $0.hasPrefix("tag ") } })

        // Part of it: only what --include imported is complete.
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/mirror", "--flatten", "1", "--include", "*/apps/web:*", "-q"],
                                   directory: dir).status == 0)
        let partial = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/mirror", "--flatten", "1", "--format", "json"], directory: dir)
        #expect(partial.status == 76)
        let some = try JSONDecoder().decode(Report.self, from: Data(partial.stdout.utf8))
        #expect(some.images.filter(\.ok).allSatisfy { $0.destination.contains("/mirror/web:") })
        #expect(some.images.contains { $0.ok } && some.images.contains { !$0.ok })
        // The same selection checks out.
        let selected = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/mirror", "--flatten", "1", "--include", "*/apps/web:*"],
                                          directory: dir)
        #expect(selected.status == 0, "\(selected.stdout)\(selected.stderr)")
        #expect(selected.stdout.contains("images in \(target.host)/mirror as the bundle has them"), "\(selected.stdout)")

        // All of it: exit 0, every tag and blob asked once.
        #expect(try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/mirror", "--flatten", "1", "-q"], directory: dir).status == 0)
        let full = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/mirror", "--flatten", "1", "--format", "json"], directory: dir)
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        let complete = try JSONDecoder().decode(Report.self, from: Data(full.stdout.utf8))
        #expect(complete.ok && complete.images.allSatisfy(\.ok) && complete.blobsChecked > 0 && complete.tagsChecked == corpus.images.count)

        // A tag moved to another image is named, with both digests.
        let web = try #require(corpus.image("apps/web:1.0"))
        let other = try #require(corpus.images.first { $0.digest != web.digest })
        #expect(try CLITests.ferry(["copy", other.reference, "\(target.host)/mirror/web:1.0", "-q"]).status == 0)
        let moved = try CLITests.ferry(["verify", "b.tar", "--registry", "\(target.host)/mirror", "--flatten", "1"], directory: dir)
        #expect(moved.status == 76)
        #expect(moved.stdout.contains("\(target.host)/mirror/web:1.0: tag 1.0 points at \(other.digest), not \(web.digest)"), "\(moved.stdout)")

        // Naming options without --registry, or bundle checks with it, are refused.
        #expect(try CLITests.ferry(["verify", "b.tar", "--flatten", "1"], directory: dir).status == 64)
        #expect(try CLITests.ferry(["verify", "b.tar", "--registry", target.host, "--base", "b.tar"], directory: dir).status == 64)
    }
}
