import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 6): `ferry copy SRC DST` keeps the source tag when DST names none;
/// `ferry sync -f images.json` applies each rule's destinations (regex tags, tag renames,
/// several destinations) and `--to` is the destination of rules without one and of plain lists;
/// `--dry-run` sends nothing; a second sync sends nothing.
@Suite(.serialized) struct CopySyncCLITests {
    @Test func copyAndSyncThroughTheCLI() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 93)
        let dir = NSTemporaryDirectory() + "ferry-sync-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func digest(_ reference: String) throws -> String {
            try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(reference)"])
                .data(using: .utf8).map { "sha256:" + Self.sha256Hex($0) } ?? ""
        }
        let web = try #require(corpus.image("apps/web:1.0"))
        let multi = try #require(corpus.image("apps/multi:2.0"))

        // copy: DST without a tag keeps 1.0.
        let copy = try CLITests.ferry(["copy", web.reference, "\(target.host)/copied/web", "-q", "--format", "json"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try digest("\(target.host)/copied/web:1.0") == web.digest)

        // sync with rules: a tag list renamed, a regex, two destinations, and one rule left to --to.
        let rules = """
        {
          "\(source.host)/apps/web:1.0,latest": "\(target.host)/sync/web:one,two",
          "\(source.host)/apps/multi:/^2\\\\./": ["\(target.host)/sync/multi", "\(target.host)/backup/multi"],
          "\(source.host)/base/os:1": ""
        }
        """
        try rules.write(toFile: dir + "/images.json", atomically: true, encoding: .utf8)
        let dry = try CLITests.ferry(["sync", "-f", "images.json", "--to", "\(target.host)/defaults", "--dry-run"], directory: dir)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("dry run"))
        #expect((try? digest("\(target.host)/sync/web:one")) == nil, "dry run pushed")

        let sync = try CLITests.ferry(["sync", "-f", "images.json", "--to", "\(target.host)/defaults", "--format", "json", "-q"], directory: dir)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(try digest("\(target.host)/sync/web:one") == web.digest)
        #expect(try digest("\(target.host)/sync/web:two") == web.digest)
        #expect(try digest("\(target.host)/sync/multi:2.0") == multi.digest)
        #expect(try digest("\(target.host)/backup/multi:2.0") == multi.digest)
        // "" goes to --to with the first path component dropped (image-syncer): base/os → defaults/os.
        #expect(try digest("\(target.host)/defaults/os:1") == corpus.image("base/os:1")?.digest)

        struct Report: Decodable { var blobsUploaded: Int; var manifestsPushed: Int; var tagsPushed: Int }
        let again = try CLITests.ferry(["sync", "-f", "images.json", "--to", "\(target.host)/defaults", "--format", "json", "-q"], directory: dir)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try JSONDecoder().decode(Report.self, from: Data(again.stdout.utf8))
        #expect(second.blobsUploaded == 0 && second.manifestsPushed == 0 && second.tagsPushed == 0)

        // A plain list needs --to.
        try "\(web.reference)\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        #expect(try CLITests.ferry(["sync", "-f", "list.txt"], directory: dir).status == 64)
        let list = try CLITests.ferry(["sync", "-f", "list.txt", "--to", "\(target.host)/listed", "-q"], directory: dir)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(try digest("\(target.host)/listed/apps/web:1.0") == web.digest)
    }

    static func sha256Hex(_ data: Data) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(data)
        try? input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}
