import FerryCore
import FerryInputs
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 18; contrib/kubernetes/README.md): the export and import Jobs are Indexed, with
/// as many completions as the plan has shards; pod i exports with `--shard auto` into its own
/// directory of the ferry-bundles claim, and import pod i reads the same file there; verify
/// checks the export's plan against the import's registry; render.sh puts the plan's shard
/// count and the plan itself (byte for byte) into the manifests. No cluster runs here, so the
/// manifests are parsed and compared; every rule is also broken once to show it is checked.
@Suite struct ContribKubernetesTests {
    static func committed() throws -> ManifestSet {
        try ManifestSet(folder: ManifestSet.contribFolder)
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: ManifestSet.contribFolder.appendingPathComponent(name), encoding: .utf8)
    }

    /// The folder holds the three Jobs and the claim, each once, and nothing else.
    @Test func folderHoldsTheJobsAndTheClaim() throws {
        let set = try Self.committed()
        #expect(set.strays.isEmpty, "\(set.strays)")
        #expect(Set(set.jobs.keys) == ["ferry-export", "ferry-import", "ferry-verify"])
        #expect(set.claims == ["ferry-bundles"])
    }

    /// The committed example (4 shards) keeps every rule. The plan's ConfigMap is not in the
    /// folder (render.sh writes it from the plan); `renderedManifestsFollowThePlan` looks it up.
    @Test func committedJobsKeepTheRules() throws {
        let set = try Self.committed()
        let export = try #require(set.jobs["ferry-export"])
        let importJob = try #require(set.jobs["ferry-import"])
        let verify = try #require(set.jobs["ferry-verify"])
        #expect(ShardJobRules.exportJob(export, claims: set.claims, configMaps: nil) == [])
        #expect(ShardJobRules.importJob(importJob, export: export, claims: set.claims) == [])
        #expect(ShardJobRules.verifyJob(verify, export: export, importJob: importJob, configMaps: nil) == [])
        #expect(export.declaredShards == 4)
        #expect(export.bundle == "/out/shard-\(JobView.indexVariable).tar")
        #expect(export.planConfigMap == "ferry-plan")
    }

    /// One line of export-job.yaml changed, and the rule that must catch it. `from` must occur
    /// exactly once in the file, so the table follows the file when it changes.
    struct Breakage: Sendable, CustomStringConvertible {
        var description: String
        var from: String
        var to: String
        var says: String
    }

    static let exportBreakages: [Breakage] = [
        Breakage(description: "not Indexed", from: "completionMode: Indexed", to: "completionMode: NonIndexed", says: "not Indexed"),
        Breakage(description: "fewer completions than shards", from: "\n  completions: 4\n", to: "\n  completions: 3\n",
                 says: "completions 3 is not the 4 shards"),
        Breakage(description: "more pods at once than shards", from: "parallelism: 4", to: "parallelism: 8", says: "parallelism 8"),
        Breakage(description: "no shard count", from: "    ferry.dev/shards: \"4\"\n", to: "", says: "no ferry.dev/shards"),
        Breakage(description: "a fixed shard", from: "- auto\n", to: "- 0/4\n", says: "not auto"),
        Breakage(description: "one output name for every index", from: "- /out/shard-$(JOB_COMPLETION_INDEX).tar",
                 to: "- /out/shard.tar", says: "-o /out/shard.tar is not the index's own bundle"),
        Breakage(description: "one directory for every index", from: "subPathExpr: shard-$(JOB_COMPLETION_INDEX)",
                 to: "subPath: shards", says: "mounted per index"),
        Breakage(description: "a claim nobody creates", from: "claimName: ferry-bundles", to: "claimName: ferry-bundle",
                 says: "claim ferry-bundle is not among"),
        Breakage(description: "unbounded retries", from: "  backoffLimitPerIndex: 3\n", to: "", says: "bounds the retries"),
        Breakage(description: "per-index retries with restarts in place", from: "restartPolicy: Never", to: "restartPolicy: OnFailure",
                 says: "needs restartPolicy Never"),
        Breakage(description: "plan not from the ConfigMap", from: "- /plan/plan.json", to: "- /etc/plan.json",
                 says: "not on a ConfigMap volume"),
        Breakage(description: "another command", from: "- export\n", to: "- copy\n", says: "not ferry export"),
    ]

    @Test(arguments: exportBreakages)
    func brokenExportIsCaught(_ breakage: Breakage) throws {
        let text = try Self.text("export-job.yaml")
        #expect(text.components(separatedBy: breakage.from).count == 2, "export-job.yaml no longer has \(breakage.from) once")
        let set = try ManifestSet(texts: [("storage.yaml", try Self.text("storage.yaml")),
                                          ("export-job.yaml", text.replacingOccurrences(of: breakage.from, with: breakage.to))])
        let export = try #require(set.jobs["ferry-export"])
        let problems = ShardJobRules.exportJob(export, claims: set.claims, configMaps: nil)
        #expect(problems.contains { $0.contains(breakage.says) }, "\(problems)")
    }

    /// import-job.yaml broken against the committed export Job.
    static let importBreakages: [Breakage] = [
        Breakage(description: "another directory", from: "subPathExpr: shard-$(JOB_COMPLETION_INDEX)",
                 to: "subPathExpr: bundle-$(JOB_COMPLETION_INDEX)", says: "reads another directory"),
        Breakage(description: "another file", from: "- /out/shard-$(JOB_COMPLETION_INDEX).tar",
                 to: "- /out/bundle-$(JOB_COMPLETION_INDEX).tar", says: "but ferry-export writes /out/shard-"),
        Breakage(description: "fewer indexes than the export", from: "\n  completions: 4\n", to: "\n  completions: 2\n",
                 says: "2 indexes, but ferry-export has 4"),
        Breakage(description: "not Indexed", from: "completionMode: Indexed", to: "completionMode: NonIndexed", says: "not Indexed"),
        Breakage(description: "no registry", from: "- --to\n", to: "- --dry-run\n", says: "no --to"),
    ]

    @Test(arguments: importBreakages)
    func brokenImportIsCaught(_ breakage: Breakage) throws {
        let text = try Self.text("import-job.yaml")
        #expect(text.components(separatedBy: breakage.from).count == 2, "import-job.yaml no longer has \(breakage.from) once")
        let set = try ManifestSet(texts: [("storage.yaml", try Self.text("storage.yaml")),
                                          ("export-job.yaml", try Self.text("export-job.yaml")),
                                          ("import-job.yaml", text.replacingOccurrences(of: breakage.from, with: breakage.to))])
        let export = try #require(set.jobs["ferry-export"])
        let importJob = try #require(set.jobs["ferry-import"])
        let problems = ShardJobRules.importJob(importJob, export: export, claims: set.claims)
        #expect(problems.contains { $0.contains(breakage.says) }, "\(problems)")
    }

    /// verify checks the registry the import pushed to, against the plan the export read.
    @Test func verifyPointedElsewhereIsCaught() throws {
        let text = try Self.text("verify-job.yaml").replacingOccurrences(of: "- registry.dc2.example:5000/mirror", with: "- registry.dc3.example/mirror")
        let set = try ManifestSet(texts: [("export-job.yaml", try Self.text("export-job.yaml")),
                                          ("import-job.yaml", try Self.text("import-job.yaml")), ("verify-job.yaml", text)])
        let verify = try #require(set.jobs["ferry-verify"])
        let problems = ShardJobRules.verifyJob(verify, export: try #require(set.jobs["ferry-export"]),
                                               importJob: try #require(set.jobs["ferry-import"]), configMaps: nil)
        #expect(problems.contains { $0.contains("checks registry.dc3.example/mirror") }, "\(problems)")
    }

    /// render.sh on a plan of another shard count than the example's 4: every count follows the
    /// plan, the ConfigMap the Jobs mount exists and holds the plan's exact bytes with their
    /// SHA-256, and the image and registry given are put in.
    @Test func renderedManifestsFollowThePlan() async throws {
        let planURL = Fixtures.url("plan/examples/demo-2-shards.json")
        let planBytes = try Data(contentsOf: planURL)
        let shards = try Self.shardCount(planBytes)
        #expect(shards == 2)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try await ChildProcess.run(
            "bash", [ManifestSet.contribFolder.appendingPathComponent("render.sh").path, planURL.path, output.path],
            environment: ["FERRY_IMAGE": "registry.test/tools/ferry:9", "FERRY_TARGET": "registry.test:5000/m",
                          "FERRY_PARALLELISM": "", "FERRY_STORAGE": ""],
            check: false, timeout: 120)
        #expect(run.status == 0, "\(run.stderrText)")

        let set = try ManifestSet(folder: output)
        #expect(set.strays.isEmpty, "\(set.strays)")
        let configMaps = Set(set.configMaps.keys)
        let export = try #require(set.jobs["ferry-export"])
        let importJob = try #require(set.jobs["ferry-import"])
        let verify = try #require(set.jobs["ferry-verify"])
        #expect(ShardJobRules.exportJob(export, claims: set.claims, configMaps: configMaps) == [])
        #expect(ShardJobRules.importJob(importJob, export: export, claims: set.claims) == [])
        #expect(ShardJobRules.verifyJob(verify, export: export, importJob: importJob, configMaps: configMaps) == [])
        for job in [export, importJob] {
            #expect(job.completions == shards && job.declaredShards == shards && job.parallelism == shards, "\(job.name)")
        }
        #expect([export, importJob, verify].allSatisfy { $0.image == "registry.test/tools/ferry:9" })
        #expect(importJob.argument(after: "--to") == "registry.test:5000/m")

        let planName = try #require(export.planConfigMap)
        let configMap = try #require(set.configMaps[planName])
        #expect(configMap["data"]?["plan.json"]?.string == String(decoding: planBytes, as: UTF8.self))
        #expect(configMap["metadata"]?["annotations"]?["ferry.dev/plan"]?.string == DigestHasher.digest(of: Array(planBytes)).description)
    }

    /// A template that no longer has a line render.sh rewrites stops the rendering (exit 70),
    /// instead of leaving the example's shard count in place.
    @Test func renderRefusesADriftedTemplate() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["render.sh", "storage.yaml", "export-job.yaml", "import-job.yaml", "verify-job.yaml"] {
            var text = try Self.text(name)
            if name == "export-job.yaml" { text = text.replacingOccurrences(of: "\n  completions: 4\n", with: "\n  completions: 04\n") }
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let run = try await ChildProcess.run(
            "bash", [folder.appendingPathComponent("render.sh").path, Fixtures.url("plan/examples/demo-2-shards.json").path,
                     folder.appendingPathComponent("out").path],
            check: false, timeout: 120)
        #expect(run.status == 70, "\(run.stderrText)")
        #expect(run.stderrText.contains("export-job.yaml"), "\(run.stderrText)")
    }

    /// render.sh takes only a ferry plan (exit 65 for anything else).
    @Test func renderRefusesWhatIsNotAPlan() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-render-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try await ChildProcess.run(
            "bash", [ManifestSet.contribFolder.appendingPathComponent("render.sh").path,
                     ManifestSet.contribFolder.appendingPathComponent("storage.yaml").path, output.path],
            check: false, timeout: 120)
        #expect(run.status == 65, "\(run.stderrText)")
    }

    /// How many shards a plan has: the length of its `shards` array (formats/plan/SPEC.md 1.2).
    static func shardCount(_ plan: Data) throws -> Int {
        let object = try JSONSerialization.jsonObject(with: plan) as? [String: Any]
        return try #require(object?["shards"] as? [Any]).count
    }
}
