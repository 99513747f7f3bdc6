public import FerryCore
import FerryFormat
public import FerryPlan
import FerryTransfer
import Foundation

/// One shard of a migration plan, as `export --plan PLAN --shard i/N` exports it.
public struct PlanShard: Sendable {
    public let plan: MigrationPlan
    /// The SHA-256 of the plan file: its identity, recorded in the bundle.
    public let digest: Digest
    public let selection: ShardSelection

    public init(plan: MigrationPlan, digest: Digest, selection: ShardSelection) {
        self.plan = plan
        self.digest = digest
        self.selection = selection
    }

    /// What the bundle's content index records.
    var origin: ContentIndex.PlanOrigin {
        ContentIndex.PlanOrigin(digest: digest, shard: selection.index, shards: selection.count)
    }

    /// The plan's `created`, the same for every shard and every run.
    func created() throws(FerryPlanError) -> Date {
        guard let date = Timestamp.date(plan.created) else {
            throw .malformed(path: digest.description, reason: "created \(plan.created) is not an RFC 3339 time")
        }
        return date
    }
}

extension Exporter {
    /// The shard's images, each fetched by its pinned digest (never by what its tag names now),
    /// with the plan's platform selection; its attachments are the plan's, linked to their
    /// subjects, and none is looked for anew, so two runs of one shard give the same bundle.
    /// An image whose digest is gone, or whose entry no longer comes out as planned, fails
    /// with its name.
    func resolve(_ shard: PlanShard, jobs: Int, configs: ConfigBudget) async throws -> [ResolvedImage] {
        let members = shard.plan.images(inShard: shard.selection.index)
        guard !members.isEmpty else {
            throw FerryPlanError.shard("\(shard.selection.index)/\(shard.selection.count)", reason: "the plan puts no image in this shard")
        }
        let platforms = try shard.plan.platforms.map { try Platform(parsing: $0) }
        let planned = ImageResolver(source: source, platforms: platforms, progress: progress, configs: configs)
        let whole = ImageResolver(source: source, platforms: [], progress: progress, configs: configs)
        progress(.note("shard \(shard.selection.index) of \(shard.selection.count) (plan \(shard.digest.short)): \(members.count) pinned image(s)"))
        return try await BoundedMap.run(members, width: jobs) { member in
            let reference = try ImageReference(parsing: member.reference)
            var image = try await (member.subject == nil ? planned : whole).resolve(reference, pinned: member.pinned)
            guard image.entry.digest == member.entry.digest else {
                throw FerryPlanError.pinned(image: member.reference, digest: member.pinned,
                                            reason: "comes out as \(image.entry.digest), the plan recorded \(member.entry.digest)")
            }
            image.subject = member.subject
            return image
        }
    }
}

extension ExportReport {
    mutating func recordShard(_ shard: PlanShard?) {
        guard let shard else { return }
        plan = shard.digest.description
        self.shard = "\(shard.selection.index)/\(shard.selection.count)"
    }
}
