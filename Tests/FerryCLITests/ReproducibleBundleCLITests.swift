import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 18, item 3): the same work gives the same bytes. Two exports of the same images,
/// from two working directories, with the same SOURCE_DATE_EPOCH, give the same SHA-256 for the
/// bundle, its signature and every split part, signed (Ed25519 is deterministic) and unsigned.
@Suite(.serialized) struct ReproducibleBundleCLITests {
    @Test func sameWorkSameBytes() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 95)
        let root = NSTemporaryDirectory() + "ferry-repro-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["a", "b/deeper"] { try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true) }
        #expect(try CLITests.ferry(["key", "generate", "-o", root + "/k.pem"]).status == 0)
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        func sums(_ dir: String) throws -> [String: String] {
            var sums: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
                sums[name] = try Tool.run("/usr/bin/sha256sum", [dir + "/" + name]).split(separator: " ").first.map(String.init)
            }
            return sums
        }
        var results: [[String: String]] = []
        for name in ["a", "b/deeper"] {
            let dir = "\(root)/\(name)"
            let references = corpus.images.map(\.reference)
            for arguments in [["-o", "plain.tar"], ["-o", "signed.tar", "--sign-key", root + "/k.pem"],
                              ["-o", "split.tar", "--split-size", "20K", "--sign-key", root + "/k.pem"]] {
                let run = try CLITests.ferry(["export"] + references + arguments + ["-q"], environment: environment, directory: dir)
                #expect(run.status == 0, "\(arguments): \(run.stderr)")
            }
            results.append(try sums(dir))
        }
        #expect(results[0].count >= 8, "\(results[0].keys.sorted())")  // plain, signed + .sig, split parts + parts.json + SHA256SUMS + .sig
        #expect(results[0] == results[1])
    }
}
