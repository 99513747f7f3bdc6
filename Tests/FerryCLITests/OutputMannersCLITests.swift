import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 17, item 5, CLI manners): `-q` prints nothing but errors (a JSON result still
/// prints); text output carries full digests and aligned columns; a rerun import says nothing
/// was sent; a compressed bundle under a plain `.tar` name is warned about; bare `--tls-verify`
/// means true, as in skopeo.
@Suite(.serialized) struct OutputMannersCLITests {
    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "ferry-manners-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func quietTextAndDigests() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 91)
        let references = corpus.images.map(\.reference)
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // Text: every image with its full digest.
        let text = try CLITests.ferry(["export"] + references + ["-o", "a.tar"], directory: dir)
        #expect(text.status == 0, "\(text.stderr)")
        for image in corpus.images where !image.reference.contains(":sha256-") {
            #expect(text.stdout.contains(image.digest), "\(image.reference) \(image.digest) not in: \(text.stdout)")
        }
        #expect(!text.stdout.contains("…"))

        // -q: nothing on either stream; with --format json, the JSON only.
        let quiet = try CLITests.ferry(["export"] + references + ["-o", "b.tar", "-q"], directory: dir)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        let json = try CLITests.ferry(["export"] + references + ["-o", "c.tar", "-q", "--format", "json"], directory: dir)
        #expect(json.status == 0 && json.stderr.isEmpty)
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["images"] != nil)

        // Bare --tls-verify is true (and --tls-verify=false still parses).
        for flags in [["--tls-verify"], ["--tls-verify", "false"], ["--tls-verify=false"]] {
            let run = try CLITests.ferry(["export", references[0], "-o", "t.tar", "-q"] + flags, directory: dir)
            #expect(run.status == 0, "\(flags): \(run.stderr)")
        }

        // A compressed stream under a .tar name is warned about; under .tar.zst it is not.
        let zstdTar = try CLITests.ferry(["export", references[0], "-o", "z.tar", "--compress", "zstd"], directory: dir)
        #expect(zstdTar.status == 0 && zstdTar.stderr.contains("warning: z.tar will be a zstd stream") && zstdTar.stderr.contains(".tar.zst"),
                "\(zstdTar.stderr)")
        let zstdNamed = try CLITests.ferry(["export", references[0], "-o", "z.tar.zst", "--compress", "zstd"], directory: dir)
        #expect(zstdNamed.status == 0 && !zstdNamed.stderr.contains("warning"), "\(zstdNamed.stderr)")
        // And a .tar.zst name without --compress: a plain tar, said so.
        let plainNamed = try CLITests.ferry(["export", references[0], "-o", "p.tar.zst"], directory: dir)
        #expect(plainNamed.status == 0 && plainNamed.stderr.contains("warning: p.tar.zst will be a plain tar") && plainNamed.stderr.contains("--compress zstd"),
                "\(plainNamed.stderr)")

        // A rerun import says that nothing was sent, in the result and in the last log line.
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let first = try CLITests.ferry(["import", "a.tar", "--to", target.host], directory: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stdout.contains("nothing sent"), "\(first.stdout)")
        let again = try CLITests.ferry(["import", "a.tar", "--to", target.host], directory: dir)
        #expect(again.status == 0)
        #expect(again.stdout.contains("images already present in the target with the same digests; nothing sent"), "\(again.stdout)")
        #expect(again.stderr.contains("done: nothing to transfer"), "\(again.stderr)")

        // The inspect table: every row's columns start where the header's do.
        let inspect = try CLITests.ferry(["inspect", "a.tar"], directory: dir)
        #expect(inspect.status == 0)
        let lines = inspect.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.first)
        let digestColumn = try #require(header.range(of: "DIGEST")).lowerBound.utf16Offset(in: header)
        let rows = lines.dropFirst().prefix { !$0.isEmpty }
        #expect(rows.count >= Set(corpus.images.map(\.digest)).count, "\(inspect.stdout)")
        for row in rows {
            let index = row.index(row.startIndex, offsetBy: digestColumn)
            #expect(row[index...].hasPrefix("sha256:") || row[index...].hasPrefix("-"), "\(row)")
        }
    }

    /// Rule (issue 17): `export --dry-run` resolves and plans, prints the images, distinct blobs
    /// and the space needed against the space free, and writes nothing.
    @Test func exportDryRunWritesNothing() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 92)
        let references = corpus.images.map(\.reference)
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let json = try CLITests.ferry(["export"] + references + ["-o", "d.tar", "--dry-run", "--format", "json"], directory: dir)
        #expect(json.status == 0, "\(json.stderr)")
        struct Report: Decodable { var dryRun: Bool; var uniqueBytes: Int64; var bytesNeeded: Int64; var bytesAvailable: Int64?; var blobCount: Int; var images: [Image]
            struct Image: Decodable { var digest: String } }
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(report.dryRun && report.blobCount > 0 && report.images.count >= Set(corpus.images.map(\.digest)).count)
        #expect(report.bytesNeeded > report.uniqueBytes && (report.bytesAvailable ?? 0) > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "a dry run wrote something")
        let text = try CLITests.ferry(["export"] + references + ["-o", "d.tar", "--dry-run", "--compress", "zstd", "-q"], directory: dir)
        #expect(text.status == 0 && text.stdout.isEmpty)
        let shown = try CLITests.ferry(["export"] + references + ["-o", "d.tar.zst", "--dry-run", "--compress", "zstd"], directory: dir)
        #expect(shown.stdout.contains("dry run: ") && shown.stdout.contains("would need about"), "\(shown.stdout)")
        // The real export takes what the dry run said it would, or less.
        let real = try CLITests.ferry(["export"] + references + ["-o", "d.tar", "--format", "json", "-q"], directory: dir)
        struct Written: Decodable { var bytesWritten: Int64; var bytesNeeded: Int64 }
        let written = try JSONDecoder().decode(Written.self, from: Data(real.stdout.utf8))
        #expect(written.bytesWritten <= report.bytesNeeded && written.bytesNeeded == report.bytesNeeded)
    }
}
