import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 18, items 1, 2, 3 and 5): `ferry plan` pins images by digest, whatever the order
/// of the list; `export --plan --shard` exports the pinned digests (a tag moved since still gives
/// the planned image) into bundles that are byte-identical from any directory; `verify --plan
/// --registry` finds every pinned image after the shards were imported, and names the image and
/// its shard when one is missing.
@Suite(.serialized) struct PlanCLITests {
    struct Plan: Decodable {
        struct Image: Decodable { var reference: String; var pinned: String; var shard: Int }
        var images: [Image]
        var shards: [Shard]
        struct Shard: Decodable { var images: Int }
    }

    struct Check: Decodable {
        struct Image: Decodable { var destination: String; var ok: Bool; var shard: Int?; var problems: [String] }
        var images: [Image]
        var ok: Bool
    }

    static func sha256(_ path: String) throws -> String {
        try Tool.run("/usr/bin/sha256sum", [path]).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func planExportImportVerify() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 181)
        let root = NSTemporaryDirectory() + "ferry-plan-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["a", "b/deeper"] { try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true) }
        let epoch = ["SOURCE_DATE_EPOCH": "1796601600"]
        let references = corpus.images.map(\.reference)

        // The same images in another order give the same plan bytes.
        try references.joined(separator: "\n").write(toFile: root + "/list.txt", atomically: true, encoding: .utf8)
        try references.reversed().joined(separator: "\n").write(toFile: root + "/reversed.txt", atomically: true, encoding: .utf8)
        let planned = try CLITests.ferry(["plan", "-f", "list.txt", "--shards", "2", "-o", "plan.json"], environment: epoch, directory: root)
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("split by repository hash") && planned.stdout.contains("plan \(root)/plan.json: sha256:"), "\(planned.stdout)")
        #expect(try CLITests.ferry(["plan", "-f", "reversed.txt", "--shards", "2", "-o", "again.json", "-q", "-j", "1"],
                                   environment: epoch, directory: root).status == 0)
        #expect(try Self.sha256(root + "/plan.json") == Self.sha256(root + "/again.json"))
        let plan = try JSONDecoder().decode(Plan.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/plan.json")))
        #expect(Set(plan.images.map(\.reference)) == Set(references))
        #expect(plan.shards.count == 2 && plan.shards.allSatisfy { $0.images > 0 })
        let inspected = try CLITests.ferry(["inspect", "plan.json"], directory: root)
        #expect(inspected.status == 0 && inspected.stdout.contains("SHARD"), "\(inspected.stdout)\(inspected.stderr)")

        // A tag moved after planning: the shard still exports the planned digest.
        let web = try #require(corpus.image("apps/web:1.0"))
        let other = try #require(corpus.images.first { $0.digest != web.digest && $0.mediaType.contains("manifest.v") })
        #expect(try CLITests.ferry(["copy", other.reference, web.reference, "-q"]).status == 0)
        let webShard = try #require(plan.images.first { $0.reference == web.reference }).shard

        // Each shard, from two directories: the same bytes, split, signed and plain.
        #expect(try CLITests.ferry(["key", "generate", "-o", root + "/k.pem"]).status == 0)
        var sums: [[String: String]] = []
        for name in ["a", "b/deeper"] {
            let dir = "\(root)/\(name)"
            for shard in 0..<2 {
                let plain = try CLITests.ferry(["export", "--plan", root + "/plan.json", "--shard", "\(shard)/2", "-o", "shard-\(shard).tar", "-q"],
                                               directory: dir)
                #expect(plain.status == 0, "\(plain.stderr)")
            }
            // auto, as a Slurm array task 1 of --array=1-2 would run it.
            let split = try CLITests.ferry(["export", "--plan", root + "/plan.json", "--shard", "auto", "-o", "split.tar", "--split-size", "20K",
                                            "--sign-key", root + "/k.pem", "-q"],
                                           environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"],
                                           directory: dir)
            #expect(split.status == 0, "\(split.stderr)")
            var these: [String: String] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: dir) where !file.hasPrefix(".") {
                these[file] = try Self.sha256(dir + "/" + file)
            }
            sums.append(these)
        }
        #expect(sums[0].count >= 6, "\(sums[0].keys.sorted())")
        #expect(sums[0] == sums[1])
        struct ContentIndex: Decodable {
            struct Image: Decodable { var name: String; var digest: String }
            struct Origin: Decodable { var digest: String; var shard: Int; var shards: Int }
            var images: [Image]
            var plan: Origin?
        }
        let index = try JSONDecoder().decode(ContentIndex.self, from: Data(
            try Tool.run("/usr/bin/tar", ["-xOf", "\(root)/a/shard-\(webShard).tar", "ferry-index.json"]).utf8))
        #expect(index.images.first { $0.name == web.reference }?.digest == web.digest, "\(web.reference) is not the planned image")
        #expect(index.plan?.shard == webShard && index.plan?.shards == 2)
        #expect(index.plan?.digest == "sha256:" + (try Self.sha256(root + "/plan.json")))

        // Import every shard; the plan checks out on the target.
        for shard in 0..<2 {
            #expect(try CLITests.ferry(["import", "\(root)/a/shard-\(shard).tar", "--to", "\(target.host)/mirror", "-q"]).status == 0)
        }
        let full = try CLITests.ferry(["verify", "--plan", root + "/plan.json", "--registry", "\(target.host)/mirror", "--format", "json"])
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        #expect(try JSONDecoder().decode(Check.self, from: Data(full.stdout.utf8)).images.count == references.count)

        // One manifest deleted: that image is named, with its shard, and the exit is 76.
        let victim = try #require(plan.images.first { $0.reference.contains("legacy/docker") })
        let path = "/v2/mirror/" + victim.reference.split(separator: "/", maxSplits: 1)[1].split(separator: ":")[0] + "/manifests/" + victim.pinned
        #expect(try LoopbackHTTP.request("DELETE", port: target.port, path: path).status == 202)
        let broken = try CLITests.ferry(["verify", "--plan", root + "/plan.json", "--registry", "\(target.host)/mirror"])
        #expect(broken.status == 76, "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stdout.contains("\(target.host)/mirror/legacy/docker:3 (in shard \(victim.shard)'s bundle): manifest \(victim.pinned)"),
                "\(broken.stdout)")
        #expect(broken.stdout.contains("import again the bundle(s) of shard(s) \(victim.shard)"))

        // What cannot be done is refused.
        #expect(try CLITests.ferry(["export", "--plan", root + "/plan.json", "--shard", "auto", "-o", "x.tar"], directory: root).status == 65)
        #expect(try CLITests.ferry(["export", "--plan", root + "/plan.json", "--shard", "0/3", "-o", "x.tar"], directory: root).status == 65)
        #expect(try CLITests.ferry(["export", "--plan", root + "/plan.json", "--shard", "0/2", web.reference, "-o", "x.tar"], directory: root).status == 64)
        #expect(try CLITests.ferry(["plan", web.reference, "--shards", "2", "-o", "one.json"], directory: root).status == 65)
        #expect(try CLITests.ferry(["verify", "x.tar", "--plan", "plan.json", "--registry", target.host], directory: root).status == 64)
    }
}
