import FerryCore
import FerryOperations
import FerryPlan
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 18, item 1; formats/plan/SPEC.md rules 2 and 3.1): a plan pins the attachments
/// of every image (cosign-style tags and OCI 1.1 referrers) and puts each in its subject's shard,
/// whatever shard count; `--no-referrers` pins none.
@Suite(.serialized) struct PlannerTests {
    @Test func attachmentsShareTheirSubjectsShard() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let corpus = try await source.push(seed: 183)
        _ = try await ReferrersTests.attach(source, repository: "apps/web", tag: "1.0")
        _ = try await ReferrersTests.attach(source, repository: "legacy/docker", tag: "3")
        let planner = Planner(source: RegistrySource(client: ExportFixtures.client(source)))
        let references = try corpus.images.map { try ImageReference(parsing: $0.reference) }
        for shards in [2, 3, 5] {
            let result = try await planner.run(PlanOptions(references: references, platforms: [], shards: shards,
                                                           created: Date(timeIntervalSince1970: 0)))
            let plan = result.plan
            let attachments = plan.images.filter { $0.subject != nil }
            #expect(attachments.count >= 4, "signature and SBOM of two images: \(attachments.map(\.reference))")
            for attachment in attachments {
                let subject = try #require(plan.images.first { image in image.subject == nil && image.manifests.contains { $0.digest == attachment.subject } })
                #expect(subject.shard == attachment.shard, "\(attachment.reference) is in shard \(attachment.shard), its subject \(subject.reference) in \(subject.shard)")
            }
            #expect(plan.shards.map(\.images).reduce(0, +) == plan.images.count)
            #expect(Set(plan.images.map(\.shard)) == Set(0..<shards))
            // The file reads back as written.
            #expect(try MigrationPlan.decode(try plan.encoded(), path: "plan.json") == plan)
        }
        var bare = PlanOptions(references: references, platforms: [], shards: 2, created: Date(timeIntervalSince1970: 0))
        bare.referrers = false
        #expect(try await planner.run(bare).plan.images.allSatisfy { $0.subject == nil })
    }
}
