/// Which shard of a plan this process exports (`--shard i/N` or `--shard auto`).
///
/// Shards are numbered from 0, as Slurm array task IDs (`--array=0-3`) and Kubernetes
/// completion indexes are. `auto` takes the index from the engine that started the process:
/// `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`, so `--array=1-4` works too, with
/// `SLURM_ARRAY_TASK_COUNT` checked against the plan), or else `JOB_COMPLETION_INDEX`
/// (a Kubernetes Indexed Job). With none of them set it refuses to guess: two tasks exporting
/// the same shard would leave another shard out.
public struct ShardSelection: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `text` (`i/N` or `auto`) against a plan of `planShards` shards.
    public static func parse(_ text: String, planShards: Int, environment: [String: String]) throws(FerryPlanError) -> ShardSelection {
        let selection: ShardSelection
        if text == "auto" {
            selection = try fromEnvironment(environment, planShards: planShards)
        } else {
            let sides = text.split(separator: "/", omittingEmptySubsequences: false)
            guard sides.count == 2, let index = Int(sides[0]), let count = Int(sides[1]), index >= 0, count >= 1 else {
                throw .shard(text, reason: "expected i/N (shard i of N, counted from 0) or auto")
            }
            selection = ShardSelection(index: index, count: count)
        }
        guard selection.count == planShards else {
            throw .shard(text, reason: "the plan has \(planShards) shard(s), not \(selection.count)")
        }
        guard selection.index < selection.count else {
            throw .shard(text, reason: "shards are numbered 0 to \(selection.count - 1)")
        }
        return selection
    }

    static func fromEnvironment(_ environment: [String: String], planShards: Int) throws(FerryPlanError) -> ShardSelection {
        func number(_ name: String) throws(FerryPlanError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else { throw .shard("auto", reason: "\(name)=\(text) is not a task index") }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            guard task >= first else { throw .shard("auto", reason: "SLURM_ARRAY_TASK_ID \(task) is below SLURM_ARRAY_TASK_MIN \(first)") }
            return ShardSelection(index: task - first, count: try number("SLURM_ARRAY_TASK_COUNT") ?? planShards)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            return ShardSelection(index: index, count: planShards)
        }
        throw .shard("auto", reason: "none of SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX is set; give the shard as i/N")
    }
}
