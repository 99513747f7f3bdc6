import FerryArchive
import FerryCore
import FerryFormat
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (ferry-bundle SPEC.md §7): `ferry verify` proves a bundle complete and untouched, and for
/// every kind of damage reports exactly that damage: the member, the blob, expected and actual,
/// the byte range, and every image that needs the damaged part. It never stops at the first
/// problem, and throws only when the input is not an image archive at all.
@Suite struct VerifyTests {
    static func verify(_ path: String, expecting digest: Digest? = nil) async throws -> VerificationReport {
        try await BundleVerifier().run(VerifyOptions(input: path, expectedContentIndexDigest: digest))
    }

    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func specExampleBundleVerifies() async throws {
        let report = try await Self.verify(Fixtures.url("ferry-bundle/examples/bundle.tar").path)
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.kind == .ferryBundle)
        #expect(report.contentIndexDigest == "sha256:d310b035cc6b2543a749a18228f5e0129c0165b11cf0300440637221ec9f46d4")
        let blobRows = try Fixtures.tsv("ferry-bundle/examples/members.txt").filter { $0[3].hasPrefix("blobs/sha256/") && $0[3].count > 13 }
        #expect(report.blobsChecked == blobRows.count)
        #expect(report.bytesChecked == blobRows.reduce(0) { $0 + (Int64($1[2]) ?? 0) })
        #expect(report.images.map(\.name) == ["docker.io/library/nginx:1.27", "quay.io/example/tool:2.1",
                                              "docker.io/example/app@sha256:fc5ce325cc9589668df1eb208be8e442473730f62ef8f9bf0b85cec17f52deb2"])
        #expect(report.images.allSatisfy { $0.status == .ok })
    }

    /// Rule 5.3: `repositories` must agree with `manifest.json`; one changed config hex (same
    /// length, still valid JSON) is reported on the repositories member.
    @Test func repositoriesMustAgreeWithManifestJSON() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        let row = try #require(try Fixtures.tsv("ferry-bundle/examples/members.txt").first { $0[3] == "repositories" })
        let offset = try #require(Int(row[1]))
        let member = Array(bytes[offset..<offset + (Int(row[2]) ?? 0)])
        let text = String(decoding: member, as: UTF8.self)
        let hexStart = try #require(text.range(of: #""2.1":""#)?.upperBound)
        let position = offset + text.utf8.distance(from: text.startIndex, to: hexStart)
        bytes[position] = bytes[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let path = dir + "/bundle.tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try await Self.verify(path)
        #expect(!report.ok)
        let problem = try #require(report.problems.first { $0.member == "repositories" }, "\(report.problems.map(\.message))")
        #expect(problem.kind == .dockerManifestMismatch)
        #expect(problem.message.contains("quay.io/example/tool:2.1"), "\(problem.message)")
        // Nothing else is wrong: the images themselves are intact.
        #expect(report.problems.count == 1, "\(report.problems.map(\.message))")
    }

    /// Rule 1.2: blobs in three groups (manifests, configs, layers). A layer written before a
    /// config is reported once, on that member, and affects no image.
    @Test func blobGroupsAreInOrder() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let reordered = [images.manifestA, images.manifestB, images.configA, images.base, images.configB, images.layerA, images.layerB]
        try TestTar.write(try TestTar.bundle(images, blobMembers: reordered.map { (name: $0.path, bytes: $0.bytes) }), to: dir + "/bundle.tar")
        let report = try await Self.verify(dir + "/bundle.tar")
        #expect(report.problems.map(\.kind) == [.memberOrder], "\(report.problems.map(\.message))")
        #expect(report.problems.first?.member == images.configB.path)
        #expect(report.images.allSatisfy { $0.status == .ok })
    }

    /// Rule 2.1: ferry's header conventions. One header given another mtime and owner (with a
    /// correct checksum, as another tool would write it) is reported on that member alone.
    @Test func headerConventionsAreChecked() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        func field(_ range: Range<Int>, _ text: String) {
            let value = Array(text.utf8)
            for (index, position) in range.enumerated() { bytes[position] = index < value.count ? value[index] : 0 }
        }
        field(136..<148, "14567234563")   // mtime
        field(108..<116, "0001750")       // uid 1000
        field(148..<156, "        ")
        let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
        field(148..<156, String(sum, radix: 8).leftPadded(to: 6) + "\0 ")
        let path = dir + "/bundle.tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try await Self.verify(path)
        #expect(report.problems.map(\.kind) == [.headerConvention], "\(report.problems.map(\.message))")
        let message = report.problems.first?.message ?? ""
        #expect(report.problems.first?.member == "oci-layout" && message.contains("mtime") && message.contains("owner 1000:0"), "\(message)")
        #expect(report.images.allSatisfy { $0.status == .ok })
    }

    @Test func handBuiltBundleVerifies() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let members = try TestTar.bundle(images)
        try TestTar.write(members, to: dir + "/bundle.tar")
        let report = try await Self.verify(dir + "/bundle.tar")
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.kind == .ferryBundle)
        #expect(report.blobsChecked == images.blobs.count)
        #expect(report.bytesChecked == Int64(images.blobs.reduce(0) { $0 + $1.size }))
        #expect(report.images.map(\.name) == [VerifyImages.nameA, VerifyImages.nameB])
        let contentIndex = try #require(members.first { $0.name == "ferry-index.json" })
        #expect(report.contentIndexDigest == DigestHasher.digest(of: contentIndex.bytes).description)
    }

    /// One kind of damage to a hand-built bundle, and exactly what verify must say about it.
    enum Damage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case flippedLayerByte, shortMember, missingLayer, duplicateMember, trailingGarbage, contentIndexOffset,
             manifestJSONMissingConfig, missingEntryManifest

        var testDescription: String { rawValue }

        struct Expectation {
            var kind: VerificationProblem.Kind
            var member: String?
            var digest: Digest?
            var expected: String?
            var actual: String?
            var offset: Int64?
            var affected: [String]
            var statuses: [VerificationReport.ImageStatus]
        }

        /// Writes the damaged bundle at `path`.
        func write(_ images: VerifyImages, to path: String) throws -> Expectation {
            let a = VerifyImages.nameA
            let layerA = images.layerA
            func slot(_ layout: TarLayout, _ name: String) throws -> TarLayout.Slot {
                try #require(layout.slots.first { $0.member.name == name })
            }
            switch self {
            case .flippedLayerByte:
                let layout = try TestTar.write(try TestTar.bundle(images), to: path)
                let data = try slot(layout, layerA.path).dataOffset
                let file = try PositionalFile(path: path, flags: O_RDWR)
                try file.flipByte(at: data + 100)
                try file.close()
                var bytes = layerA.bytes
                bytes[100] ^= 0xff
                return Expectation(kind: .digestMismatch, member: layerA.path, digest: layerA.digest, expected: layerA.digest.description,
                                   actual: DigestHasher.digest(of: bytes).description, offset: data, affected: [a], statuses: [.damaged, .ok])
            case .shortMember:
                let members = images.blobs.map { (name: $0.path, bytes: $0.path == layerA.path ? Array($0.bytes.prefix(1000)) : $0.bytes) }
                let layout = try TestTar.write(try TestTar.bundle(images, blobMembers: members), to: path)
                return Expectation(kind: .sizeMismatch, member: layerA.path, digest: layerA.digest, expected: "\(layerA.size)", actual: "1000",
                                   offset: try slot(layout, layerA.path).dataOffset, affected: [a], statuses: [.damaged, .ok])
            case .missingLayer:
                let members = images.blobs.filter { $0.path != layerA.path }.map { (name: $0.path, bytes: $0.bytes) }
                try TestTar.write(try TestTar.bundle(images, blobMembers: members), to: path)
                return Expectation(kind: .missingBlob, member: layerA.path, digest: layerA.digest, expected: "\(layerA.size) bytes",
                                   affected: [a], statuses: [.incomplete, .ok])
            case .duplicateMember:
                let layout = try TestTar.write(try TestTar.bundle(images, extra: [(layerA.path, layerA.bytes)]), to: path)
                let second = try #require(layout.slots.last)
                return Expectation(kind: .duplicateMember, member: layerA.path, digest: layerA.digest, offset: second.headerOffset,
                                   affected: [a], statuses: [.damaged, .ok])
            case .trailingGarbage:
                let layout = try TestTar.write(try TestTar.bundle(images), to: path, trailing: Array("GARBAGE".utf8))
                return Expectation(kind: .trailingGarbage, offset: layout.totalSize, affected: [], statuses: [.ok, .ok])
            case .contentIndexOffset:
                let members = try TestTar.bundle(images) { index in
                    for row in index.blobs.indices where index.blobs[row].digest == layerA.digest.description { index.blobs[row].offset += 512 }
                }
                let data = try slot(try TestTar.write(members, to: path), layerA.path).dataOffset
                return Expectation(kind: .contentIndexMismatch, member: layerA.path, digest: layerA.digest, expected: "\(data)",
                                   actual: "\(data + 512)", offset: data + 512, affected: [a], statuses: [.damaged, .ok])
            case .manifestJSONMissingConfig:
                let absent = VerifyImages.Blob(bytes: Array("a config that was never exported".utf8), mediaType: .ociConfig)
                try TestTar.write(try TestTar.bundle(images, manifestJSON: images.manifestJSON(configOfA: absent.path)), to: path)
                return Expectation(kind: .dockerManifestMismatch, member: absent.path, digest: absent.digest,
                                   expected: images.configA.path, actual: absent.path, affected: [a], statuses: [.damaged, .ok])
            case .missingEntryManifest:
                let members = images.blobs.filter { $0.path != images.manifestA.path }.map { (name: $0.path, bytes: $0.bytes) }
                try TestTar.write(try TestTar.bundle(images, blobMembers: members), to: path)
                return Expectation(kind: .missingBlob, member: images.manifestA.path, digest: images.manifestA.digest,
                                   expected: "\(images.manifestA.size) bytes", affected: [a], statuses: [.incomplete, .ok])
            }
        }
    }

    /// Rule: each damage gives exactly one problem, of the right kind, naming the member, the
    /// blob, expected and actual, the byte range, and the image it breaks (and no other).
    @Test(arguments: Damage.allCases)
    func damageIsNamedExactly(_ damage: Damage) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let expected = try damage.write(VerifyImages(), to: dir + "/bundle.tar")
        let report = try await Self.verify(dir + "/bundle.tar")
        #expect(!report.ok)
        #expect(report.problems.map(\.kind) == [expected.kind], "\(report.problems.map(\.message))")
        let problem = try #require(report.problems.first)
        #expect(problem.member == expected.member)
        #expect(problem.digest == expected.digest?.description)
        #expect(problem.expected == expected.expected)
        #expect(problem.actual == expected.actual)
        #expect(problem.offset == expected.offset)
        #expect(problem.affectedImages == expected.affected)
        #expect(report.images.map(\.status) == expected.statuses)
        if let member = expected.member { #expect(problem.message.contains(member), "\(problem.message)") }
    }

    /// Rule: verify does not stop at the first problem; several kinds of damage are all reported.
    @Test func everyProblemIsReported() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let members = images.blobs.filter { $0.path != images.layerB.path }.map { (name: $0.path, bytes: $0.bytes) }
        let layout = try TestTar.write(try TestTar.bundle(images, blobMembers: members), to: dir + "/bundle.tar",
                                       trailing: [1, 2, 3])
        let file = try PositionalFile(path: dir + "/bundle.tar", flags: O_RDWR)
        try file.flipByte(at: try #require(layout.slots.first { $0.member.name == images.base.path }).dataOffset)
        try file.close()
        let report = try await Self.verify(dir + "/bundle.tar")
        #expect(Set(report.problems.map(\.kind)) == [.trailingGarbage, .missingBlob, .digestMismatch])
        let base = try #require(report.problems.first { $0.kind == .digestMismatch })
        #expect(base.affectedImages == [VerifyImages.nameA, VerifyImages.nameB])
        #expect(report.images.map(\.status) == [.damaged, .damaged])
    }

    /// Rule: the content-index digest recorded at export pins the bundle (SPEC.md 6.5, 7.4).
    @Test(arguments: [true, false])
    func recordedContentIndexDigestIsChecked(_ matches: Bool) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let members = try TestTar.bundle(VerifyImages())
        try TestTar.write(members, to: dir + "/bundle.tar")
        let actual = DigestHasher.digest(of: try #require(members.first { $0.name == "ferry-index.json" }).bytes)
        let recorded = matches ? actual : DigestHasher.digest(of: Array("another bundle".utf8))
        let report = try await Self.verify(dir + "/bundle.tar", expecting: recorded)
        #expect(report.ok == matches)
        #expect(report.problems.map(\.kind) == (matches ? [] : [.contentIndexDigest]))
        #expect(report.problems.first.map { $0.expected == recorded.description && $0.actual == actual.description } ?? matches)
    }

    /// Rule: foreign archives (skopeo's oci-archive, Docker 25+ saves) verify without a content
    /// index; those checks are skipped, not failed.
    @Test(arguments: [false, true])
    func foreignArchiveWithoutContentIndexVerifies(_ withManifestJSON: Bool) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        try TestTar.write(TestTar.foreign(images, manifestJSON: withManifestJSON ? images.manifestJSON() : nil), to: dir + "/foreign.tar")
        let report = try await Self.verify(dir + "/foreign.tar")
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.kind == (withManifestJSON ? .dockerArchive : .ociArchive))
        #expect(report.contentIndexDigest == nil)
        #expect(report.blobsChecked == images.blobs.count)
    }

    /// Rule: a docker-archive without an OCI side (ferry's `--bundle-format docker-archive`) is
    /// walked from manifest.json; images are named by their first RepoTag.
    @Test(arguments: [false, true])
    func dockerArchiveWithoutIndexJSON(_ missingLayer: Bool) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let blobs = [images.configA, images.configB, images.base, images.layerA, images.layerB]
            .filter { !(missingLayer && $0.path == images.layerB.path) }
        try TestTar.write([("manifest.json", images.manifestJSON()), ("repositories", images.repositories)]
                          + blobs.map { (name: $0.path, bytes: $0.bytes) }, to: dir + "/docker.tar")
        let report = try await Self.verify(dir + "/docker.tar")
        #expect(report.kind == .dockerArchive)
        #expect(report.images.map(\.name) == ["example.com/team/app-a:1", "team/app-b:2"])
        #expect(report.images.map(\.digest) == [images.configA.digest.description, images.configB.digest.description])
        #expect(report.ok == !missingLayer, "\(report.problems.map(\.message))")
        #expect(report.blobsChecked == blobs.count)
        if missingLayer {
            #expect(report.problems.map(\.kind) == [.missingBlob])
            #expect(report.problems.first?.member == images.layerB.path)
            #expect(report.problems.first?.affectedImages == ["team/app-b:2"])
            #expect(report.images.map(\.status) == [.ok, .incomplete])
        }
    }

    /// Rule: a non-distributable layer (descriptor with `urls`) may be absent: reported as
    /// omitted, not as damage.
    @Test func nonDistributableLayerMayBeAbsent() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let foreignLayer = VerifyImages.Blob(bytes: Array("windows base layer".utf8), mediaType: .dockerForeignLayerGzip)
        let layer = #"{"digest":"\#(foreignLayer.digest)","mediaType":"\#(foreignLayer.mediaType)","size":\#(foreignLayer.size),"urls":["https://example.invalid/layer"]}"#
        let manifest = VerifyImages.Blob(bytes: Array(#"{"config":\#(images.configB.descriptorJSON),"layers":[\#(layer)],"mediaType":"\#(MediaType.dockerManifest)","schemaVersion":2}"#.utf8),
                                         mediaType: .dockerManifest)
        let name = "example.com/windows/app:1"
        let index = Array(#"{"manifests":[\#(VerifyImages.entry(manifest, name: name))],"schemaVersion":2}"#.utf8)
        try TestTar.write(TestTar.foreign(images, index: index, blobs: [manifest, images.configB]), to: dir + "/windows.tar")
        let report = try await Self.verify(dir + "/windows.tar")
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.omitted.map(\.digest) == [foreignLayer.digest.description])
        #expect(report.omitted.first?.affectedImages == [name])
    }

    /// Rule: a cut-short bundle is damage (a report), naming the member the file ends in, and
    /// the members before the cut are still checked, so the images that lost blobs are named.
    @Test func truncatedBundleIsReported() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let layout = try TestTar.write(try TestTar.bundle(images), to: dir + "/bundle.tar")
        let slot = try #require(layout.slots.first { $0.member.name == images.layerB.path })
        let file = try PositionalFile(path: dir + "/bundle.tar", flags: O_RDWR)
        try file.truncate(to: slot.dataOffset + 100)
        try file.close()
        let report = try await Self.verify(dir + "/bundle.tar")
        #expect(!report.ok)
        #expect(report.kind == .ferryBundle)
        #expect(report.problems.map(\.kind) == [.truncated, .missingBlob])
        #expect(report.problems.first?.member == images.layerB.path)
        #expect(report.problems.first?.digest == images.layerB.digest.description)
        #expect(report.problems.first?.offset == slot.dataOffset + 100)
        let lost = try #require(report.problems.last)
        #expect(lost.digest == images.layerB.digest.description)
        #expect(lost.affectedImages == [VerifyImages.nameB])
        #expect(report.images.first { $0.name == VerifyImages.nameA }?.status == .ok)
    }

    /// Rule: inputs that are not image archives at all are errors (exit 65/74), not reports.
    @Test(arguments: ["missing", "gzip", "not-a-tar", "no-index"])
    func unreadableInputThrows(_ kind: String) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/input.tar"
        switch kind {
        case "gzip": try Data([0x1f, 0x8b, 8, 0] + [UInt8](repeating: 0, count: 2000)).write(to: URL(fileURLWithPath: path))
        case "not-a-tar": try Data([UInt8](repeating: UInt8(ascii: "x"), count: 4096)).write(to: URL(fileURLWithPath: path))
        case "no-index": try TestTar.write([("hello.txt", Array("hello".utf8))], to: path)
        default: break
        }
        await #expect(throws: FerryFormatError.self, "\(kind)") { _ = try await Self.verify(path) }
    }

    /// Rule: OCI layout directories verify the same way; offsets are not given (each blob is its
    /// own file).
    @Test(arguments: [false, true])
    func layoutDirectory(_ damaged: Bool) async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = VerifyImages()
        let layout = dir + "/layout"
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        for (name, bytes) in TestTar.foreign(images) {
            var bytes = bytes
            if damaged && name == images.layerA.path { bytes[7] ^= 0xff }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(layout)/\(name)"))
        }
        let report = try await Self.verify(layout)
        #expect(report.kind == .ociLayout)
        #expect(report.ok == !damaged, "\(report.problems.map(\.message))")
        if damaged {
            #expect(report.problems.map(\.kind) == [.digestMismatch])
            #expect(report.problems.first?.member == images.layerA.path)
            #expect(report.problems.first?.offset == nil)
            #expect(report.problems.first?.affectedImages == [VerifyImages.nameA])
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
