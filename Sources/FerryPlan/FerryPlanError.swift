public import FerryCore

/// Failures of planning and of reading a plan: the plan file, the shard asked for, or a shard
/// that cannot be formed. Each names the file, the value or the image.
public enum FerryPlanError: Error, Sendable, CustomStringConvertible {
    /// The plan file is unreadable, of another version, or inconsistent.
    case malformed(path: String, reason: String)
    /// `--shard` names no shard of the plan, or `auto` finds no task index.
    case shard(String, reason: String)
    /// The images cannot be spread as asked (more shards than images).
    case assignment(reason: String)
    /// A pinned image no longer gives what the plan recorded.
    case pinned(image: String, digest: Digest, reason: String)

    public var description: String {
        switch self {
        case .malformed(let path, let reason): return "\(path): \(reason)"
        case .shard(let value, let reason): return "--shard \(value): \(reason)"
        case .assignment(let reason): return "cannot plan the shards: \(reason)"
        case .pinned(let image, let digest, let reason): return "\(image) (pinned \(digest)): \(reason)"
        }
    }
}
