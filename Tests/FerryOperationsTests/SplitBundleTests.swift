import FerryArchive
import FerryCore
import FerryFormat
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rules (issue 5, split bundles): every part is strictly below the limit, the checksums file
/// passes `sha256sum -c`, the joined parts are the ordinary bundle, and import, verify and
/// inspect read across parts; a missing, truncated, swapped or foreign part is named before
/// anything is pushed.
@Suite(.serialized) struct SplitBundleTests {
    /// The spec's split example: the Swift planner cuts `examples/bundle.tar` exactly where the
    /// independent Python implementation did; the parts cut that way pass `sha256sum -c` with
    /// the example SHA256SUMS and verify and inspect from the first part.
    @Test func specSplitExample() async throws {
        let indexBytes = try Fixtures.bytes("ferry-bundle/examples/split/bundle.tar.parts.json")
        let index = try PartIndex.decode(indexBytes, path: "bundle.tar.parts.json")
        let bundlePath = Fixtures.url("ferry-bundle/examples/bundle.tar").path
        let bundle = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        let scanned = try TarScanner(file: PositionalFile(path: bundlePath, flags: O_RDONLY)).scan().members
        let last = try #require(scanned.last)
        let plan = PartPlan.cut(headerOffsets: scanned.map(\.headerOffset),
                                endOfMembers: last.dataOffset + last.size + Int64(TarHeader.padding(last.size)),
                                totalSize: Int64(bundle.count), maxPartSize: index.maxPartSize)
        #expect(plan.sizes == index.parts.map(\.size))
        #expect(plan.starts == index.parts.map(\.offset))
        #expect(index.contentIndexDigest?.description == "sha256:d310b035cc6b2543a749a18228f5e0129c0165b11cf0300440637221ec9f46d4")

        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for part in index.parts {
            try Data(bundle[Int(part.offset)..<Int(part.offset + part.size)]).write(to: URL(fileURLWithPath: "\(dir)/\(part.name)"))
        }
        try Data(indexBytes).write(to: URL(fileURLWithPath: dir + "/bundle.tar.parts.json"))
        try Data(try Fixtures.bytes("ferry-bundle/examples/split/bundle.tar.SHA256SUMS")).write(to: URL(fileURLWithPath: dir + "/bundle.tar.SHA256SUMS"))
        #expect(try Tool.run("/bin/sh", ["-c", "cd '\(dir)' && sha256sum -c --quiet bundle.tar.SHA256SUMS && echo fine"]).contains("fine"))
        let report = try await BundleVerifier().run(VerifyOptions(input: dir + "/bundle.tar.part-000"))
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.images.count == 3)
        #expect(try await Inspector.inspect(path: dir + "/bundle.tar").images.count == 3)
    }

    static func exportSplit(_ corpus: PushedCorpus, to path: String, size: String) async throws -> ExportReport {
        let exporter = Exporter(source: RegistrySource(client: ExportFixtures.client()), progress: { _ in })
        var options = ExportOptions(references: try corpus.images.map { try ImageReference(parsing: $0.reference) },
                                    output: .bundle(path), platforms: [], jobs: 4)
        options.split = try #require(SplitSize.parse(size))
        return try await exporter.run(options)
    }

    @Test func splitBundleRoundTrip() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 61)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/site-a.tar"

        let report = try await Self.exportSplit(corpus, to: output, size: "9Ki")
        let parts = try #require(report.parts)
        #expect(parts.count > 3)
        #expect(!FileManager.default.fileExists(atPath: output), "a split export writes parts, not the joined file")
        for part in parts { #expect(try #require(FileSystem.fileSize(part)) < 9 * 1024, "\(part)") }
        // The checksums file is what sha256sum -c reads, on any machine.
        let checked = try Tool.run("/bin/sh", ["-c", "cd '\(dir)' && sha256sum -c site-a.tar.SHA256SUMS"])
        #expect(checked.components(separatedBy: ": OK").count - 1 == parts.count + 1)
        // Whole-blob placement: every blob that fits in a part lies in exactly one.
        let index = try PartIndex.decode(Array(try Data(contentsOf: URL(fileURLWithPath: output + ".parts.json"))), path: "parts.json")
        #expect(index.contentIndexDigest?.description == report.contentIndexDigest)
        var partsOfBlob: [Digest: Int] = [:]
        for part in index.parts { for blob in part.blobs { partsOfBlob[blob, default: 0] += 1 } }
        let contentIndex = try ContentIndex.decode(try BundleInspection(path: Self.joined(parts, dir: dir)).contentIndexBytes)
        #expect(contentIndex.parts?.sizes == index.parts.map(\.size))
        for blob in contentIndex.blobs where blob.size + 1024 <= index.maxPartSize {
            #expect(partsOfBlob[blob.digest] == 1, "\(blob.digest) is cut across parts")
        }
        // The joined parts are an ordinary bundle that verifies.
        let joinedReport = try await BundleVerifier().run(VerifyOptions(input: dir + "/joined.tar"))
        #expect(joinedReport.ok)

        // verify, inspect and import read across the parts, from any of the names.
        for name in [parts[0], output + ".parts.json", output, parts[2]] {
            let verified = try await BundleVerifier().run(VerifyOptions(input: name))
            #expect(verified.ok, "\(name): \(verified.problems.map(\.message))")
            #expect(verified.blobsChecked == contentIndex.blobs.count)
        }
        let inspected = try await Inspector.inspect(path: parts[0])
        #expect(inspected.images.count == corpus.images.count)
        let imported = try await Importer(client: ExportFixtures.client(target))
            .run(ImportOptions(input: parts[0], destination: try DestinationMapper(to: target.host)))
        #expect(imported.images.count == corpus.images.count)
        for image in corpus.images {
            let fetched = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/\(image.repository):\(image.tag)"))
            #expect(fetched.digest.description == image.digest)
        }

        // A rerun with larger parts replaces the set: no stale part of the first run is left.
        let again = try await Self.exportSplit(corpus, to: output, size: "64Ki")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("site-a.tar.part-") }
        #expect(names.count == again.parts?.count)
        #expect(try await BundleVerifier().run(VerifyOptions(input: output)).ok)
    }

    /// Writes the concatenation of `parts` to `dir/joined.tar`.
    static func joined(_ parts: [String], dir: String) throws -> String {
        let path = dir + "/joined.tar"
        var data = Data()
        for part in parts { data.append(try Data(contentsOf: URL(fileURLWithPath: part))) }
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func damagedPartSetsAreNamedBeforeAnythingIsPushed() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 62)
        let other = try await source.push(seed: 63, prefix: "other/")
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/site-a.tar"
        let parts = try #require(try await Self.exportSplit(corpus, to: output, size: "9Ki").parts)
        let foreign = try #require(try await Self.exportSplit(other, to: dir + "/site-b.tar", size: "9Ki").parts)
        let proxy = try FaultProxy(upstream: target.host, rules: [])
        defer { proxy.stop() }

        func expectRefused(_ what: String, mentions: [String], withoutIndex: Bool = false) async throws {
            let index = output + ".parts.json"
            if withoutIndex { try FileManager.default.moveItem(atPath: index, toPath: index + ".away") }
            defer { if withoutIndex { try? FileManager.default.moveItem(atPath: index + ".away", toPath: index) } }
            for input in [parts[0], output] {
                proxy.clearRequests()
                do {
                    _ = try await Importer(client: ExportFixtures.client(target))
                        .run(ImportOptions(input: input, destination: try DestinationMapper(to: proxy.address)))
                    Issue.record("\(what): import of \(input) succeeded")
                } catch {
                    let message = "\(error)"
                    for text in mentions { #expect(message.contains(text), "\(what): \(message)") }
                }
                #expect(proxy.requests().isEmpty, "\(what): import sent requests before refusing")
                do {
                    let report = try await BundleVerifier().run(VerifyOptions(input: input))
                    #expect(!report.ok, "\(what): verify passed")
                } catch {
                    #expect("\(error)".contains("part"), "\(what): \(error)")
                }
            }
        }

        // Missing (with and without the part index: the content index knows the count too).
        let moved = parts[2] + ".away"
        try FileManager.default.moveItem(atPath: parts[2], toPath: moved)
        try await expectRefused("missing part", mentions: ["part 2", "missing"])
        try await expectRefused("missing part, no index", mentions: ["part 2", "missing"], withoutIndex: true)
        try FileManager.default.moveItem(atPath: moved, toPath: parts[2])

        // Truncated.
        let original1 = try Data(contentsOf: URL(fileURLWithPath: parts[1]))
        try original1.prefix(original1.count - 100).write(to: URL(fileURLWithPath: parts[1]))
        try await expectRefused("truncated part", mentions: ["part 1", "truncated"])
        try await expectRefused("truncated part, no index", mentions: ["part 1", "truncated"], withoutIndex: true)
        try original1.write(to: URL(fileURLWithPath: parts[1]))

        // Swapped: part 1's bytes under part 3's name and the other way round.
        let original3 = try Data(contentsOf: URL(fileURLWithPath: parts[3]))
        try original3.write(to: URL(fileURLWithPath: parts[1]))
        try original1.write(to: URL(fileURLWithPath: parts[3]))
        try await expectRefused("swapped parts", mentions: ["part"], withoutIndex: true)
        try await expectRefused("swapped parts", mentions: ["part"])
        try original1.write(to: URL(fileURLWithPath: parts[1]))
        try original3.write(to: URL(fileURLWithPath: parts[3]))

        // Foreign: part 1 of another bundle (a same-sized one, padded or cut to fit).
        let alien = try Data(contentsOf: URL(fileURLWithPath: foreign[1]))
        var sized = alien.prefix(original1.count)
        if sized.count < original1.count { sized.append(Data(count: original1.count - sized.count)) }
        try sized.write(to: URL(fileURLWithPath: parts[1]))
        try await expectRefused("foreign part", mentions: ["part 1"], withoutIndex: true)
        try original1.write(to: URL(fileURLWithPath: parts[1]))

        // Intact again: everything passes, and a flipped byte is reported in its part.
        #expect(try await BundleVerifier().run(VerifyOptions(input: output)).ok)
        let file = try PositionalFile(path: parts[parts.count - 2], flags: O_RDWR)
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: 700) }
        byte[0] ^= 0x55
        try file.write(byte, at: 700)
        try file.close()
        let damaged = try await BundleVerifier().run(VerifyOptions(input: output))
        #expect(!damaged.ok)
        let name = BundleFiles("site-a.tar").part(parts.count - 2)
        #expect(damaged.problems.contains { $0.part?.contains(name) == true }, "\(damaged.problems.map(\.message))")
    }

    /// A split export that crashes leaves no part under a final name; the rerun reuses the
    /// verified blobs in the partial parts and completes; a signed split bundle verifies with
    /// its key from the first part (the sidecar sits beside the joined name).
    @Test func crashedSplitExportResumesAndSignedPartsVerify() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 65)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/site.tar"
        let client = ExportFixtures.client()
        let key = SigningKey.generate()
        func options(_ source: any ImageSource) throws -> (Exporter, ExportOptions) {
            var options = ExportOptions(references: try corpus.images.map { try ImageReference(parsing: $0.reference) },
                                        output: .bundle(output), platforms: [], jobs: 1)
            options.split = try #require(SplitSize.parse("9Ki"))
            options.signingKey = key
            return (Exporter(source: source), options)
        }
        let (crashing, crashOptions) = try options(FailingSource(inner: RegistrySource(client: client), budget: .init(4)))
        await #expect(throws: (any Error).self) { _ = try await crashing.run(crashOptions) }
        let afterCrash = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!afterCrash.contains { $0.hasPrefix("site.tar") }, "a final name appeared after the crash: \(afterCrash)")
        #expect(afterCrash.contains { $0.hasPrefix(".site.tar.ferry-partial.part-") })

        let (exporter, rerun) = try options(RegistrySource(client: client))
        let report = try await exporter.run(rerun)
        #expect(report.blobsReused == 4)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!left.contains { $0.hasPrefix(".site.tar") }, "partial files left: \(left)")
        var verify = VerifyOptions(input: try #require(report.parts?.first))
        verify.publicKey = key.publicKey
        let verified = try await BundleVerifier().run(verify)
        #expect(verified.ok, "\(verified.problems.map(\.message))")
    }
}
