import FerryCore
import FerryPlan
import Foundation
import Testing

@Suite struct MigrationPlanTests {
    /// The examples of `formats/plan/` decode, and re-encode to the same bytes (they are
    /// written in the canonical form, as ferry writes plans).
    @Test func examplesDecodeAndAreCanonical() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("formats/plan/examples")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            let plan = try MigrationPlan.decode(bytes, path: name)
            #expect(try plan.encoded() == bytes, "\(name) is not in canonical form")
            for image in plan.images where image.subject != nil {
                let subject = try #require(plan.images.first { $0.manifests.contains { $0.digest == image.subject } })
                #expect(subject.shard == image.shard, "\(image.reference) is not in its subject's shard")
            }
        }
    }

    static let digest = "sha256:" + String(repeating: "a", count: 64)

    static func plan(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var object: [String: Any] = [
            "schemaVersion": 1, "mediaType": MigrationPlan.mediaType, "created": "2026-12-07T00:00:00Z", "platforms": [String](),
            "referrers": true, "shards": [["images": 1, "bytes": 10, "sharedBytes": 0]],
            "images": [["reference": "r.local/a:1", "pinned": digest, "shard": 0, "blobs": [digest],
                        "entry": ["digest": digest, "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 10],
                        "manifests": [["digest": digest, "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 10]]]],
            "blobs": [["digest": digest, "size": 10]],
        ]
        edit(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var description: String
        var edit: @Sendable (inout [String: Any]) -> Void
        var says: String
    }

    static let refusals: [Refusal] = [
        Refusal(description: "newer version", edit: { $0["schemaVersion"] = 2 }, says: "schemaVersion 2"),
        Refusal(description: "another media type", edit: { $0["mediaType"] = "application/json" }, says: "mediaType"),
        Refusal(description: "no shards", edit: { $0["shards"] = [Any]() }, says: "no shards"),
        Refusal(description: "shard out of range", edit: {
            var images = $0["images"] as? [[String: Any]] ?? []
            images[0]["shard"] = 3
            $0["images"] = images
        }, says: "in shard 3"),
        Refusal(description: "unknown blob", edit: { $0["blobs"] = [Any]() }, says: "lacks"),
        Refusal(description: "not JSON", edit: { $0 = ["schemaVersion": "one"] }, says: "not a ferry plan"),
    ]

    @Test func acceptsTheBasePlan() throws {
        let plan = try MigrationPlan.decode(try Self.plan { _ in }, path: "plan.json")
        #expect(plan.images(inShard: 0).map(\.reference) == ["r.local/a:1"])
    }

    @Test(arguments: refusals)
    func refuses(_ refusal: Refusal) throws {
        let bytes = try Self.plan(refusal.edit)
        do {
            _ = try MigrationPlan.decode(bytes, path: "plan.json")
            Issue.record("accepted a plan with \(refusal.description)")
        } catch {
            #expect(error.description.contains(refusal.says), "\(error)")
            #expect(error.description.hasPrefix("plan.json: "))
        }
    }
}
