import FerryCore
import FerryOperations
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 17, item 1): an attachment (signature, SBOM, referrer; SPEC.md rule 3.6) goes to
/// the repository its subject goes to, through every naming option, and is imported exactly when
/// its subject is. Before, `--map` put an image in one repository and its SBOM's fallback tag in
/// another, holding nothing else, and `--include` of the image dropped its attachments.
@Suite(.serialized) struct AttachmentNamingTests {
    /// One naming case: the options, then per source image (`apps/web`, `apps/multi`) the
    /// repository it should land in, or nil when it is left out.
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let to: String?
        let flatten: Int
        let map: [String]
        let include: [String]
        let exclude: [String]
        /// An images file's table: source repository → destination path (relative to the target).
        let table: [String: String]
        let web: String?
        let multi: String?
    }

    static let cases: [Case] = [
        Case(description: "--to", to: "", flatten: 0, map: [], include: [], exclude: [], table: [:],
             web: "apps/web", multi: "apps/multi"),
        Case(description: "--to with a prefix and --flatten 1", to: "/mirror", flatten: 1, map: [], include: [], exclude: [], table: [:],
             web: "mirror/web", multi: "mirror/multi"),
        Case(description: "--map", to: "", flatten: 0, map: ["apps/web:1.0=prod2/app:stable"], include: [], exclude: [], table: [:],
             web: "prod2/app", multi: "apps/multi"),
        Case(description: "--include", to: "", flatten: 0, map: [], include: ["*/apps/web:1.0"], exclude: [], table: [:],
             web: "apps/web", multi: nil),
        Case(description: "--exclude", to: "", flatten: 0, map: [], include: [], exclude: ["*/apps/web:*"], table: [:],
             web: nil, multi: "apps/multi"),
        Case(description: "an images file (-f)", to: nil, flatten: 0, map: [], include: [], exclude: [], table: ["apps/multi": "site/multi:2.0"],
             web: nil, multi: "site/multi"),
    ]

    @Test(arguments: cases)
    func attachmentsFollowTheirSubject(_ naming: Case) async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 83)
        let web = try #require(corpus.image("apps/web:1.0"))
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let onWeb = try await ReferrersTests.attach(source, repository: "apps/web", tag: "1.0")
        let onMulti = try await ReferrersTests.attach(source, repository: "apps/multi", tag: "2.0")
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = dir + "/bundle.tar"
        let exported = try await ExportFixtures.export([web.reference, multi.reference], from: ExportFixtures.client(), to: .bundle(bundle))
        #expect(exported.images.filter { $0.subject != nil }.count == 4)

        func mapRule(_ rule: String) -> String { rule.hasPrefix("apps/") ? source.host + "/" + rule : rule }
        var options = ImportOptions(input: bundle, destination: try naming.to.map {
            try DestinationMapper(to: target.host + $0, flatten: naming.flatten, map: naming.map.map(mapRule))
        }, filter: ImageFilter(include: naming.include, exclude: naming.exclude))
        if !naming.table.isEmpty {
            options.destinationTable = try Dictionary(uniqueKeysWithValues: naming.table.map { repository, path in
                let from = [web, multi].first { $0.repository == repository }?.reference ?? ""
                return (from, [try ImageReference(parsing: "\(target.host)/\(path)")])
            })
        }

        // The plan (dry run): each attachment next to its subject, counted, or left out with it.
        options.dryRun = true
        let planned = try await Importer(client: ExportFixtures.client(target)).run(options)
        var expected: [String] = []
        for (repository, attached, image) in [(naming.web, onWeb, web), (naming.multi, onMulti, multi)] {
            guard let repository else { continue }
            expected += ["\(repository):\(attached.signatureTag)", "\(repository):\(attached.fallbackTag)"]
            #expect(planned.images.contains { $0.source == image.reference && $0.destination.hasPrefix("\(target.host)/\(repository)") },
                    "\(naming): \(planned.images.map(\.destination))")
        }
        let attachments = planned.images.filter { $0.source.contains(":sha256-") }.map { String($0.destination.dropFirst(target.host.count + 1)) }
        #expect(attachments.sorted() == expected.sorted(), "\(naming)")
        #expect(planned.images.count == expected.count + [naming.web, naming.multi].compactMap { $0 }.count, "\(naming)")

        // The import: the fallback tag in the subject's repository lists the SBOM, and the
        // signature is there by its tag.
        options.dryRun = false
        _ = try await Importer(client: ExportFixtures.client(target)).run(options)
        let client = ExportFixtures.client(target)
        for (repository, attached) in [(naming.web, onWeb), (naming.multi, onMulti)] {
            guard let repository else { continue }
            let signature = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attached.signatureTag)"))
            #expect(signature.digest == attached.signatureDigest, "\(naming)")
            let fallback = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attached.fallbackTag)"))
            guard case .index(let index) = try fallback.parse() else { Issue.record("\(naming): the fallback tag is not an index"); continue }
            #expect(index.manifests.map(\.digest).contains(attached.referrerDigest), "\(naming)")
        }
        // No repository holds attachments without their image.
        let repositories = try await target.catalog()
        #expect(Set(repositories) == Set([naming.web, naming.multi].compactMap { $0 }), "\(naming): \(repositories)")
    }
}
