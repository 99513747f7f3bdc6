import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 18; contrib/slurm/README.md): the scripts parse; each batch script asks for 2
/// CPUs and 512 MiB in #SBATCH lines sbatch reads; submit.sh sizes both arrays from the plan
/// and chains import after export and verify after import; an export task skips a shard its
/// report shows finished and leaves no report when ferry fails; an import task reads the
/// bundle its export task wrote. No Slurm runs here: stand-ins for ferry and sbatch record
/// how the scripts call them.
@Suite struct ContribSlurmTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("contrib/slurm")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(arguments: ["submit.sh", "export.sbatch", "import.sbatch", "verify.sbatch"])
    func scriptParses(_ name: String) async throws {
        let run = try await ChildProcess.run("bash", ["-n", Self.folder.appendingPathComponent(name).path], check: false, timeout: 60)
        #expect(run.status == 0, "\(name): \(run.stderrText)")
        let text = try Self.text(name)
        #expect(text.hasPrefix("#!/usr/bin/env bash\n"))
        #expect(text.contains("\nset -euo pipefail\n"))
    }

    /// sbatch reads #SBATCH lines only until the first command, and ignores later ones without
    /// a word. The array is not among them: its size comes from the plan.
    @Test(arguments: [("export.sbatch", "ferry-export"), ("import.sbatch", "ferry-import"), ("verify.sbatch", "ferry-verify")])
    func batchDirectives(_ name: String, _ jobName: String) throws {
        var directives: [String] = [], ignored: [String] = [], commandSeen = false
        for line in try Self.text(name).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropFirst() {
            if line.hasPrefix("#SBATCH ") {
                let directive = String(line.dropFirst("#SBATCH ".count))
                if commandSeen { ignored.append(directive) } else { directives.append(directive) }
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") {
                commandSeen = true
            }
        }
        #expect(ignored.isEmpty, "\(name): after the first command: \(ignored)")
        #expect(directives.contains("--cpus-per-task=2"))
        #expect(directives.contains("--mem=512M"))
        #expect(directives.contains("--job-name=\(jobName)"))
        #expect(!directives.contains { $0.hasPrefix("--array") })
    }

    /// One sbatch call as the wiring tests compare it.
    struct Call: Sendable, Equatable, CustomStringConvertible {
        var script: String
        var array: String?
        var dependency: String?
        var description: String { "\(script) array \(array ?? "-") after \(dependency ?? "-")" }
    }

    struct Wiring: Sendable, CustomStringConvertible {
        var description: String
        var environment: [String: String]
        var calls: [Call]
    }

    /// What submit.sh submits for a plan of 3 shards; the stand-in sbatch numbers jobs from 101.
    static let wirings: [Wiring] = [
        Wiring(description: "all three stages", environment: [:], calls: [
            Call(script: "export.sbatch", array: "0-2", dependency: nil),
            Call(script: "import.sbatch", array: "0-2", dependency: "afterok:101"),
            Call(script: "verify.sbatch", array: nil, dependency: "afterok:102"),
        ]),
        Wiring(description: "the isolated side of a gap", environment: ["FERRY_STAGES": "import verify"], calls: [
            Call(script: "import.sbatch", array: "0-2", dependency: nil),
            Call(script: "verify.sbatch", array: nil, dependency: "afterok:101"),
        ]),
        Wiring(description: "export only, two tasks at once", environment: ["FERRY_STAGES": "export", "FERRY_MAX_PARALLEL": "2"], calls: [
            Call(script: "export.sbatch", array: "0-2%2", dependency: nil),
        ]),
        Wiring(description: "import task i after export task i", environment: ["FERRY_IMPORT_AFTER": "aftercorr"], calls: [
            Call(script: "export.sbatch", array: "0-2", dependency: nil),
            Call(script: "import.sbatch", array: "0-2", dependency: "aftercorr:101"),
            Call(script: "verify.sbatch", array: nil, dependency: "afterok:102"),
        ]),
    ]

    @Test(arguments: wirings)
    func submitChainsTheJobs(_ wiring: Wiring) async throws {
        let scratch = try SlurmScratch()
        defer { scratch.remove() }
        let plan = scratch.folder.appendingPathComponent("plan.json").path
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: plan))
        let out = scratch.folder.appendingPathComponent("out").path
        var environment = scratch.environment(["FERRY_PLAN": plan, "FERRY_OUT": out, "FERRY_TARGET": "reg.test:5000/m"])
        environment.merge(wiring.environment) { _, new in new }
        let run = try await ChildProcess.run("bash", [Self.folder.appendingPathComponent("submit.sh").path],
                                             environment: environment, check: false, timeout: 60)
        #expect(run.status == 0, "\(run.stderrText)")

        let calls = try scratch.sbatchCalls()
        let seen = calls.map { arguments in
            Call(script: arguments.last { $0.hasSuffix(".sbatch") }.map { ($0 as NSString).lastPathComponent } ?? "none",
                 array: arguments.first { $0.hasPrefix("--array=") }.map { String($0.dropFirst("--array=".count)) },
                 dependency: arguments.first { $0.hasPrefix("--dependency=") }.map { String($0.dropFirst("--dependency=".count)) })
        }
        #expect(seen == wiring.calls)
        for arguments in calls {
            #expect(arguments.contains("--parsable") && arguments.contains("--export=ALL") && arguments.contains("--kill-on-invalid-dep=yes"))
            guard let script = arguments.firstIndex(where: { $0.hasSuffix(".sbatch") }) else {
                Issue.record("no batch script in \(arguments)")
                continue
            }
            // The paths the tasks need travel as the script's arguments, made absolute.
            let given = Array(arguments[(script + 1)...])
            switch (arguments[script] as NSString).lastPathComponent {
            case "export.sbatch": #expect(given == [plan, out])
            case "import.sbatch": #expect(given == [out, "reg.test:5000/m"])
            default: #expect(given == [plan, "reg.test:5000/m"])
            }
        }
        #expect(try scratch.ferryCalls().first == "inspect \(plan) --format json")
    }

    /// A missing plan is made first, with the arguments given and FERRY_SHARDS; an existing
    /// one is used as it is, and arguments beside it are refused (they would be ignored).
    @Test func submitPlansOnlyWhenThereIsNoPlan() async throws {
        let scratch = try SlurmScratch()
        defer { scratch.remove() }
        let plan = scratch.folder.appendingPathComponent("plan.json").path
        let environment = scratch.environment(["FERRY_PLAN": plan, "FERRY_SHARDS": "3", "FERRY_STAGES": "export",
                                               "FERRY_OUT": scratch.folder.appendingPathComponent("out").path])
        let submit = Self.folder.appendingPathComponent("submit.sh").path
        let first = try await ChildProcess.run("bash", [submit, "-f", "images.txt"], environment: environment, check: false, timeout: 60)
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(try scratch.ferryCalls().first == "plan -f images.txt --shards 3 -o \(plan)")
        #expect(try scratch.sbatchCalls().count == 1)

        let again = try await ChildProcess.run("bash", [submit, "-f", "images.txt"], environment: environment, check: false, timeout: 60)
        #expect(again.status == 64)
        #expect(again.stderrText.contains("exists"), "\(again.stderrText)")
        #expect(try scratch.sbatchCalls().count == 1)
    }

    /// Task 5 of an array starting at 4 exports shard 1. A failed export leaves no report; a
    /// finished one is skipped on the next run; a changed plan makes the shard run again.
    @Test func exportTaskSkipsOnlyAShardOfThisPlan() async throws {
        let scratch = try SlurmScratch()
        defer { scratch.remove() }
        let plan = scratch.folder.appendingPathComponent("plan.json")
        try Data("{\"plan\":1}\n".utf8).write(to: plan)
        let out = scratch.folder.appendingPathComponent("out")
        let report = out.appendingPathComponent("shard-1.export.json").path
        let script = Self.folder.appendingPathComponent("export.sbatch").path
        func run(exit status: String = "") async throws -> ChildProcess.Output {
            let bytes = try Data(contentsOf: plan)
            let environment = scratch.environment([
                "SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "FAKE_SHARD": "1/3", "FAKE_EXIT": status,
                "FAKE_PLAN_DIGEST": DigestHasher.digest(of: Array(bytes)).description,
            ])
            return try await ChildProcess.run("bash", [script, plan.path, out.path], environment: environment, check: false, timeout: 60)
        }

        let failed = try await run(exit: "69")
        #expect(failed.status == 69)
        #expect(!FileManager.default.fileExists(atPath: report))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(".shard-1.export.json.partial").path))

        let done = try await run()
        #expect(done.status == 0, "\(done.stderrText)")
        #expect(FileManager.default.fileExists(atPath: report))
        let exports = try scratch.ferryCalls()
        #expect(exports.count == 2)
        #expect(exports.allSatisfy { $0 == "export --plan \(plan.path) --shard auto -o \(out.path)/shard-1.tar --format json" }, "\(exports)")

        let skipped = try await run()
        #expect(skipped.status == 0)
        #expect(skipped.stdoutText.contains("already exported"), "\(skipped.stdoutText)")
        #expect(try scratch.ferryCalls().count == 2)

        try Data("{\"plan\":2}\n".utf8).write(to: plan)
        let replanned = try await run()
        #expect(replanned.status == 0)
        #expect(try scratch.ferryCalls().count == 3)
    }

    /// An export task outside an array stops before ferry runs: --shard auto would refuse, and
    /// the file name needs the index.
    @Test func exportTaskNeedsAnArray() async throws {
        let scratch = try SlurmScratch()
        defer { scratch.remove() }
        let plan = scratch.folder.appendingPathComponent("plan.json")
        try Data("{}\n".utf8).write(to: plan)
        let run = try await ChildProcess.run(
            "bash", [Self.folder.appendingPathComponent("export.sbatch").path, plan.path, scratch.folder.path],
            environment: scratch.environment([:]), check: false, timeout: 60)
        #expect(run.status == 64)
        #expect(run.stderrText.contains("--array"), "\(run.stderrText)")
        #expect(try scratch.ferryCalls().isEmpty)
    }

    /// Import task i reads shard-i.tar, or the first part of a split bundle, with the naming
    /// and journal options; a missing bundle stops it (exit 66).
    @Test func importTaskReadsItsShard() async throws {
        let scratch = try SlurmScratch()
        defer { scratch.remove() }
        let out = scratch.folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data().write(to: out.appendingPathComponent("shard-2.tar.part-000"))
        let script = Self.folder.appendingPathComponent("import.sbatch").path
        let options = ["FERRY_STATE_DIR": "/state", "FERRY_NAMING_ARGS": "--flatten 1", "FERRY_ARGS": "--insecure-registry reg.test"]

        let run = try await ChildProcess.run("bash", [script, out.path, "reg.test/m"],
                                             environment: scratch.environment(options.merging(["SLURM_ARRAY_TASK_ID": "2"]) { _, new in new }),
                                             check: false, timeout: 60)
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(try scratch.ferryCalls() == [
            "import \(out.path)/shard-2.tar.part-000 --to reg.test/m --state-dir /state --insecure-registry reg.test --flatten 1",
        ])

        let missing = try await ChildProcess.run("bash", [script, out.path, "reg.test/m"],
                                                 environment: scratch.environment(["SLURM_ARRAY_TASK_ID": "3"]), check: false, timeout: 60)
        #expect(missing.status == 66)
        #expect(try scratch.ferryCalls().count == 1)
    }
}

/// A scratch folder with stand-ins for `ferry` and `sbatch` that record every call, one line
/// of arguments per ferry call and one block per sbatch call (job ids 101, 102, …).
struct SlurmScratch {
    let folder: URL

    static let ferry = """
        #!/usr/bin/env bash
        set -eu
        printf '%s\\n' "$*" >>"$FAKE_LOG"
        output=""
        for ((i = 1; i < $#; i++)); do [[ ${!i} != -o ]] || { next=$((i + 1)); output=${!next}; }; done
        case $1 in
        inspect) printf '{"spread": {"shards": [{}, {}, {}]}}\\n' ;;
        plan) printf '{}\\n' >"$output" ;;
        export)
            : >"$output"
            printf '{"output": "%s", "plan": "%s", "shard": "%s"}\\n' "$output" "$FAKE_PLAN_DIGEST" "$FAKE_SHARD"
            exit "${FAKE_EXIT:-0}" ;;
        esac

        """

    static let sbatch = """
        #!/usr/bin/env bash
        set -eu
        calls=$(grep -c '^@@$' "$FAKE_SBATCH_LOG" 2>/dev/null || true)
        { printf '%s\\n' "$@"; echo @@; } >>"$FAKE_SBATCH_LOG"
        echo "$((101 + ${calls:-0}));testcluster"

        """

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-slurm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in [("ferry", Self.ferry), ("sbatch", Self.sbatch)] {
            let path = folder.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The scripts' variables set (empty where a test gives none, so the test's own
    /// environment cannot reach them), the stand-ins first on PATH, and `extra` on top.
    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = [
            "PATH": folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "FERRY": folder.appendingPathComponent("ferry").path,
            "FAKE_LOG": folder.appendingPathComponent("ferry.log").path,
            "FAKE_SBATCH_LOG": folder.appendingPathComponent("sbatch.log").path,
        ]
        for name in ["FERRY_PLAN", "FERRY_SHARDS", "FERRY_OUT", "FERRY_TARGET", "FERRY_STAGES", "FERRY_ARGS", "FERRY_EXPORT_ARGS",
                     "FERRY_IMPORT_ARGS", "FERRY_NAMING_ARGS", "FERRY_STATE_DIR", "FERRY_MAX_PARALLEL", "FERRY_IMPORT_AFTER",
                     "FERRY_SBATCH_ARGS", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "FAKE_EXIT", "FAKE_SHARD", "FAKE_PLAN_DIGEST"] {
            environment[name] = ""
        }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// One line per ferry call: its arguments joined by spaces.
    func ferryCalls() throws -> [String] {
        try lines("ferry.log")
    }

    /// The arguments of each sbatch call, in order.
    func sbatchCalls() throws -> [[String]] {
        var calls: [[String]] = [], current: [String] = []
        for line in try lines("sbatch.log") {
            if line == "@@" {
                calls.append(current)
                current = []
            } else {
                current.append(line)
            }
        }
        return calls
    }

    private func lines(_ name: String) throws -> [String] {
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
