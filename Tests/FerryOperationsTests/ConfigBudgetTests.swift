import FerryCore
import FerryOperations
import FerryRegistry
import FerryVerify
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 18, memory flat as lists grow): configs past the resolver's memory budget are
/// dropped after resolving and fetched again with the layers; the bundle is byte for byte the
/// one a budget that keeps every config gives, for a ferry bundle and a layout alike.
@Suite(.serialized) struct ConfigBudgetTests {
    @Test(arguments: [0, 1200, 4 << 20])
    func budgetDoesNotChangeTheBundle(_ budget: Int) async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 184)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let references = try corpus.images.map { try ImageReference(parsing: $0.reference) }
        let created = Date(timeIntervalSince1970: 1_796_601_600)
        func export(_ output: ExportOptions.Output, budget: Int) async throws -> ExportReport {
            var options = ExportOptions(references: references, output: output, jobs: 4, created: created)
            options.configBudget = budget
            return try await Exporter(source: RegistrySource(client: ExportFixtures.client(registry))).run(options)
        }
        let reference = try await export(.bundle(dir + "/all.tar"), budget: 64 << 20)
        let budgeted = try await export(.bundle(dir + "/budget.tar"), budget: budget)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/all.tar")) == Data(contentsOf: URL(fileURLWithPath: dir + "/budget.tar")))
        #expect(reference.contentIndexDigest == budgeted.contentIndexDigest)
        // With no budget every config is fetched in the transfer, like a layer.
        if budget == 0 { #expect(budgeted.blobsTransferred > reference.blobsTransferred) }
        _ = try await export(.layout(dir + "/layout"), budget: budget)
        let verified = try await BundleVerifier().run(VerifyOptions(input: dir + "/layout"))
        #expect(verified.ok, "the layout made with a budget of \(budget) bytes does not verify: \(verified.problems)")
    }
}
