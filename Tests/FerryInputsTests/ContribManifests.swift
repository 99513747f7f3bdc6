import FerryInputs
import FerryTestSupport
import Foundation

/// The documents of contrib/kubernetes, or of a folder render.sh wrote, by kind and name. They
/// are read with ferry's own bounded reader (`YAMLReader`, Yams underneath), which keeps Yams
/// behind one file of FerryInputs, as every other YAML input of ferry is read.
struct ManifestSet {
    static let contribFolder = Fixtures.packageRoot.appendingPathComponent("contrib/kubernetes")

    var jobs: [String: JobView] = [:]
    var claims: Set<String> = []
    var configMaps: [String: InputValue] = [:]
    /// Documents of kinds the recipe does not use, and names given twice: "file: what".
    var strays: [String] = []

    /// Every `.yaml` file of `folder`, every document of each.
    init(folder: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        for name in names {
            try add(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8), source: name)
        }
    }

    /// The documents of texts given as they are (tests that break one file).
    init(texts: [(source: String, text: String)]) throws {
        for (source, text) in texts { try add(text, source: source) }
    }

    private mutating func add(_ text: String, source: String) throws {
        for document in try YAMLReader.documents(text, source: source) where document != .null {
            let kind = document["kind"]?.string ?? "no kind"
            let name = document["metadata"]?["name"]?.string ?? ""
            let apiVersion = document["apiVersion"]?.string ?? "no apiVersion"
            switch (kind, apiVersion) {
            case ("Job", "batch/v1"):
                if jobs.updateValue(JobView(document), forKey: name) != nil { strays.append("\(source): Job \(name) again") }
            case ("PersistentVolumeClaim", "v1"):
                if !claims.insert(name).inserted { strays.append("\(source): PersistentVolumeClaim \(name) again") }
            case ("ConfigMap", "v1"):
                if configMaps.updateValue(document, forKey: name) != nil { strays.append("\(source): ConfigMap \(name) again") }
            default:
                strays.append("\(source): \(kind) \(apiVersion) \(name)")
            }
        }
    }
}

/// One Job as the rules see it: its spec's numbers, its one container's command and mounts,
/// and its pod's volumes. Absent fields are nil or empty, so a rule reports them.
struct JobView {
    struct Mount {
        var volume: String
        var path: String
        var subPathExpr: String?
    }

    struct Volume {
        var name: String
        var claim: String?
        var configMap: String?
    }

    /// What kubelet puts in for each pod of an Indexed Job.
    static let indexVariable = "$(JOB_COMPLETION_INDEX)"

    var name: String
    var completionMode: String?
    var completions: Int?
    var parallelism: Int?
    /// `ferry.dev/shards`: the plan's shard count, as render.sh wrote it.
    var declaredShards: Int?
    var backoffLimitPerIndex: Int?
    var backoffLimit: Int?
    var restartPolicy: String?
    var containerCount: Int
    var image: String?
    /// `command` then `args`, as the container runs them.
    var command: [String]
    var mounts: [Mount]
    var volumes: [Volume]

    init(_ job: InputValue) {
        let spec = job["spec"]
        let pod = spec?["template"]?["spec"]
        let containers = pod?["containers"]?.listItems ?? []
        let container = containers.first
        name = job["metadata"]?["name"]?.string ?? ""
        completionMode = spec?["completionMode"]?.string
        completions = spec?["completions"]?.integer
        parallelism = spec?["parallelism"]?.integer
        declaredShards = job["metadata"]?["annotations"]?["ferry.dev/shards"]?.integer
        backoffLimitPerIndex = spec?["backoffLimitPerIndex"]?.integer
        backoffLimit = spec?["backoffLimit"]?.integer
        restartPolicy = pod?["restartPolicy"]?.string
        containerCount = containers.count
        image = container?["image"]?.string
        command = ((container?["command"]?.listItems ?? []) + (container?["args"]?.listItems ?? [])).compactMap(\.string)
        mounts = (container?["volumeMounts"]?.listItems ?? []).map {
            Mount(volume: $0["name"]?.string ?? "", path: $0["mountPath"]?.string ?? "", subPathExpr: $0["subPathExpr"]?.string)
        }
        volumes = (pod?["volumes"]?.listItems ?? []).map {
            Volume(name: $0["name"]?.string ?? "", claim: $0["persistentVolumeClaim"]?["claimName"]?.string,
                   configMap: $0["configMap"]?["name"]?.string)
        }
    }

    /// The argument after `flag`; nil when the flag is absent or last.
    func argument(after flag: String) -> String? {
        guard let index = command.firstIndex(of: flag), command.indices.contains(index + 1) else { return nil }
        return command[index + 1]
    }

    /// The mount whose directory holds `path`.
    func mount(holding path: String) -> Mount? {
        mounts.first { path.hasPrefix($0.path.hasSuffix("/") ? $0.path : $0.path + "/") }
    }

    func volume(named name: String) -> Volume? {
        volumes.first { $0.name == name }
    }

    /// The one mount whose directory differs per index.
    var indexedMount: Mount? {
        let perIndex = mounts.filter { $0.subPathExpr?.contains(Self.indexVariable) == true }
        return perIndex.count == 1 ? perIndex.first : nil
    }

    /// The argument naming this index's bundle: a `.tar` path under the per-index mount whose
    /// name carries the index.
    var bundle: String? {
        guard let mount = indexedMount else { return nil }
        return command.first { $0.hasPrefix(mount.path + "/") && $0.contains(Self.indexVariable) && $0.hasSuffix(".tar") }
    }

    /// The ConfigMap that `--plan` reads from, nil when the plan is not on one.
    var planConfigMap: String? {
        guard let plan = argument(after: "--plan"), let mount = mount(holding: plan) else { return nil }
        return volume(named: mount.volume)?.configMap
    }
}

/// The rules the Jobs of contrib/kubernetes keep (issue 18; contrib/kubernetes/README.md). Each
/// returns what is wrong in words a reader can act on, empty when nothing is, so a test that
/// breaks one line of a manifest can name the rule that must catch it.
enum ShardJobRules {
    /// Export and import alike: one pod per shard, and each pod's own directory on a claim
    /// the manifests create.
    static func indexedJob(_ job: JobView, claims: Set<String>) -> [String] {
        var found: [String] = []
        if job.completionMode != "Indexed" {
            found.append("\(job.name): completionMode is \(job.completionMode ?? "unset"), not Indexed; pods would get no JOB_COMPLETION_INDEX")
        }
        if let shards = job.declaredShards, shards >= 1 {
            if job.completions != shards {
                found.append("\(job.name): completions \(job.completions.map(String.init) ?? "unset") is not the \(shards) shards of ferry.dev/shards")
            }
            if let parallelism = job.parallelism, parallelism < 1 || parallelism > shards {
                found.append("\(job.name): parallelism \(parallelism) is outside 1 to \(shards)")
            }
        } else {
            found.append("\(job.name): no ferry.dev/shards annotation with the plan's shard count")
        }
        if job.backoffLimitPerIndex == nil && job.backoffLimit == nil {
            found.append("\(job.name): neither backoffLimitPerIndex nor backoffLimit bounds the retries")
        }
        if job.backoffLimitPerIndex != nil && job.restartPolicy != "Never" {
            found.append("\(job.name): backoffLimitPerIndex needs restartPolicy Never, not \(job.restartPolicy ?? "unset")")
        }
        if job.containerCount != 1 {
            found.append("\(job.name): \(job.containerCount) containers; one was expected")
        }
        if let mount = job.indexedMount {
            if let claim = job.volume(named: mount.volume)?.claim {
                if !claims.contains(claim) {
                    found.append("\(job.name): claim \(claim) is not among the manifests' claims \(claims.sorted())")
                }
            } else {
                found.append("\(job.name): volume \(mount.volume) is not a PersistentVolumeClaim")
            }
            if job.bundle == nil {
                found.append("\(job.name): no argument names the index's bundle, a .tar under \(mount.path)/ with \(JobView.indexVariable) in its name")
            }
        } else {
            found.append("\(job.name): not exactly one volume is mounted per index (subPathExpr with \(JobView.indexVariable))")
        }
        return found
    }

    /// `ferry export --plan … --shard auto -o <the index's bundle>`, the plan from a ConfigMap.
    /// `configMaps` nil: the folder holds no plan (render.sh writes it), so its name is not
    /// looked up.
    static func exportJob(_ job: JobView, claims: Set<String>, configMaps: Set<String>?) -> [String] {
        var found = indexedJob(job, claims: claims)
        if Array(job.command.prefix(2)) != ["ferry", "export"] {
            found.append("\(job.name): runs \(job.command.prefix(2).joined(separator: " ")), not ferry export")
        }
        if job.argument(after: "--shard") != "auto" {
            found.append("\(job.name): --shard is \(job.argument(after: "--shard") ?? "absent"), not auto; every pod would export the same shard")
        }
        let output = job.argument(after: "-o") ?? job.argument(after: "--output")
        if output == nil || output != job.bundle {
            found.append("\(job.name): -o \(output ?? "absent") is not the index's own bundle")
        }
        found += plan(job, configMaps: configMaps)
        return found
    }

    /// `ferry import <what export wrote> --to …`, with the same indexes and the same directory
    /// of the same claim.
    static func importJob(_ job: JobView, export: JobView, claims: Set<String>) -> [String] {
        var found = indexedJob(job, claims: claims)
        if Array(job.command.prefix(2)) != ["ferry", "import"] {
            found.append("\(job.name): runs \(job.command.prefix(2).joined(separator: " ")), not ferry import")
        }
        if job.command.count < 3 || job.command[2] != export.bundle {
            found.append("\(job.name): imports \(job.command.count < 3 ? "nothing" : job.command[2]), but \(export.name) writes \(export.bundle ?? "nothing")")
        }
        if job.completions != export.completions || job.declaredShards != export.declaredShards {
            found.append("\(job.name): \(job.completions.map(String.init) ?? "no") indexes, but \(export.name) has \(export.completions.map(String.init) ?? "none")")
        }
        let mine = job.indexedMount, theirs = export.indexedMount
        if mine?.path != theirs?.path || mine?.subPathExpr != theirs?.subPathExpr
            || mine.flatMap({ job.volume(named: $0.volume)?.claim }) != theirs.flatMap({ export.volume(named: $0.volume)?.claim }) {
            found.append("\(job.name): reads another directory than \(export.name) writes (mount path, subPathExpr or claim differ)")
        }
        if job.argument(after: "--to") == nil {
            found.append("\(job.name): no --to registry")
        }
        return found
    }

    /// One pod, `ferry verify --plan <the export's plan> --registry <the import's target>`.
    static func verifyJob(_ job: JobView, export: JobView, importJob: JobView, configMaps: Set<String>?) -> [String] {
        var found: [String] = []
        if job.completionMode == "Indexed" {
            found.append("\(job.name): is Indexed; one pod checks the whole plan")
        }
        if Array(job.command.prefix(2)) != ["ferry", "verify"] {
            found.append("\(job.name): runs \(job.command.prefix(2).joined(separator: " ")), not ferry verify")
        }
        found += plan(job, configMaps: configMaps)
        if job.planConfigMap != export.planConfigMap || job.argument(after: "--plan") != export.argument(after: "--plan") {
            found.append("\(job.name): checks another plan than \(export.name) exported")
        }
        if job.argument(after: "--registry") == nil || job.argument(after: "--registry") != importJob.argument(after: "--to") {
            found.append("\(job.name): checks \(job.argument(after: "--registry") ?? "no registry"), but \(importJob.name) pushes to \(importJob.argument(after: "--to") ?? "none")")
        }
        return found
    }

    /// `--plan` names a file on a ConfigMap volume, and that ConfigMap is among the manifests.
    private static func plan(_ job: JobView, configMaps: Set<String>?) -> [String] {
        guard let path = job.argument(after: "--plan") else { return ["\(job.name): no --plan"] }
        guard let configMap = job.planConfigMap else { return ["\(job.name): --plan \(path) is not on a ConfigMap volume"] }
        if let configMaps, !configMaps.contains(configMap) {
            return ["\(job.name): ConfigMap \(configMap) is not among the manifests' ConfigMaps \(configMaps.sorted())"]
        }
        return []
    }
}

extension InputValue {
    /// The items of a list; empty for anything else.
    var listItems: [InputValue] {
        if case .sequence(let items) = self { return items }
        return []
    }

    /// A scalar read as a whole number (`4` or `"4"`).
    var integer: Int? {
        string.flatMap { Int($0) }
    }
}
