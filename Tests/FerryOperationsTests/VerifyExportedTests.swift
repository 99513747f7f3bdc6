import FerryArchive
import FerryCore
import FerryFormat
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ferry verify` on bundles exported from a real registry (the unit rules are in
/// FerryVerifyTests).
enum VerifyExportedTests {
    /// Rule: a bundle exported from a real registry verifies; one flipped byte in a shared base
    /// layer is reported against EVERY image that uses it, and against no other.
    @Suite(.serialized) struct Integration {
        @Test func exportedBundleVerifiesAndDamageNamesEveryImageUsingTheLayer() async throws {
            let registry = try await TestRegistry.start()
            defer { registry.stop() }
            let corpus = try await registry.push(seed: 71)
            let dir = try ExportFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let output = dir + "/bundle.tar"
            let exported = try await ExportFixtures.export(corpus.images.map(\.reference), from: ExportFixtures.client(), to: .bundle(output))
            let recorded = try Digest(parsing: try #require(exported.contentIndexDigest))

            let clean = try await BundleVerifier().run(VerifyOptions(input: output, expectedContentIndexDigest: recorded))
            #expect(clean.ok, "\(clean.problems.map(\.message))")
            #expect(clean.images.map(\.name) == corpus.images.map(\.reference))
            #expect(clean.blobsChecked == exported.blobCount)

            // Who uses each layer, by the pusher's own account.
            var users: [String: [String]] = [:]
            for image in corpus.images {
                for layer in Set(image.manifests.flatMap { $0.layers.map(\.digest) }) { users[layer, default: []].append(image.reference) }
            }
            let shared = try #require(users.max { $0.value.count < $1.value.count })
            let single = try #require(users.first { $0.value.count == 1 })
            #expect(shared.value.count >= 3)

            let members = try TarScanner(file: try PositionalFile(path: output, flags: O_RDONLY)).scan().members
            let file = try PositionalFile(path: output, flags: O_RDWR)
            for digest in [shared.key, single.key] {
                let member = try #require(members.first { $0.name == "blobs/sha256/" + digest.dropFirst("sha256:".count) })
                let offset = member.dataOffset + member.size / 2
                var byte = try file.read(count: 1, at: offset)
                byte[0] ^= 0xff
                try file.write(byte, at: offset)
            }
            try file.close()

            let damaged = try await BundleVerifier().run(VerifyOptions(input: output, expectedContentIndexDigest: recorded))
            #expect(!damaged.ok)
            #expect(damaged.problems.map(\.kind) == [.digestMismatch, .digestMismatch], "\(damaged.problems.map(\.message))")
            for (digest, names) in [shared, single] {
                let problem = try #require(damaged.problems.first { $0.digest == digest })
                #expect(Set(problem.affectedImages) == Set(names), "\(digest)")
                #expect(problem.affectedImages.count == names.count)
            }
            let broken = Set(shared.value + single.value)
            for image in damaged.images {
                #expect(image.status == (broken.contains(image.name) ? .damaged : .ok), "\(image.name)")
            }
            #expect(damaged.contentIndexDigest == recorded.description)
        }
    }
}

/// Rule (issue 4, tamper tests): one flipped byte in any kind of member of a real exported
/// bundle is caught and named with the images it affects.
@Suite(.serialized) struct TamperTests {
    enum Target: String, CaseIterable { case layer, config, manifest, indexJSON = "index.json", contentIndex = "ferry-index.json" }

    @Test func everyKindOfMemberIsGuarded() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 91)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pristine = dir + "/pristine.tar"
        _ = try await ExportFixtures.export(corpus.images.map(\.reference), from: ExportFixtures.client(), to: .bundle(pristine))
        let web = try #require(corpus.image("apps/web:1.0"))
        let members = try BundleInspection(path: pristine).members

        for target in Target.allCases {
            let name: String
            switch target {
            case .layer: name = "blobs/sha256/" + (web.manifests.first?.layers.last?.digest.dropFirst(7) ?? "")
            case .config: name = "blobs/sha256/" + (web.manifests.first?.config.digest.dropFirst(7) ?? "")
            case .manifest: name = "blobs/sha256/" + web.digest.dropFirst(7)
            case .indexJSON, .contentIndex: name = target.rawValue
            }
            let member = try #require(members.first { $0.name == name }, "\(target)")
            let copy = dir + "/\(target.rawValue)-tampered.tar"
            try FileManager.default.copyItem(atPath: pristine, toPath: copy)
            let file = try PositionalFile(path: copy, flags: O_RDWR)
            // A byte in the middle of JSON members is a digit or letter; flipping bit 0 keeps it printable.
            var byte: [UInt8] = [0]
            let at = member.dataOffset + member.size / 2
            _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: at) }
            byte[0] ^= 0x01
            try file.write(byte, at: at)
            try file.close()

            let report = try await BundleVerifier().run(VerifyOptions(input: copy))
            #expect(!report.ok, "\(target): tampering went unnoticed")
            let text = report.problems.map(\.message).joined(separator: "\n")
            switch target {
            case .layer, .config, .manifest:
                // The damaged blob is named, with both images that use it.
                let problem = report.problems.first { $0.member == name }
                #expect(problem != nil, "\(target): \(text)")
                let affected = Set(problem?.affectedImages ?? [])
                #expect(affected.isSuperset(of: [web.reference, "\(registry.host)/apps/web:latest"]), "\(target): \(text)")
            case .indexJSON, .contentIndex:
                #expect(!report.problems.isEmpty, "\(target): \(text)")
            }
        }
    }
}

/// Rule (issue 5, signed bundles): verify --key passes only for a bundle signed by that key
/// whose content index is unchanged; an unsigned bundle fails when a key is given.
@Suite(.serialized) struct SignedBundleTests {
    @Test func signatureIsChecked() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 92)
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = SigningKey.generate()
        let exporter = Exporter(source: RegistrySource(client: ExportFixtures.client()))
        var options = ExportOptions(references: try corpus.images.map { try ImageReference(parsing: $0.reference) },
                                    output: .bundle(dir + "/signed.tar"))
        options.signingKey = key
        _ = try await exporter.run(options)
        #expect(FileManager.default.fileExists(atPath: dir + "/signed.tar.sig"))

        func verify(_ path: String, _ publicKey: VerifyingKey) async throws -> VerificationReport {
            var options = VerifyOptions(input: path)
            options.publicKey = publicKey
            return try await BundleVerifier().run(options)
        }
        let good = try await verify(dir + "/signed.tar", key.publicKey)
        #expect(good.ok, "\(good.problems)")
        let wrong = try await verify(dir + "/signed.tar", SigningKey.generate().publicKey)
        #expect(wrong.problems.map(\.kind) == [.signature])

        options.signingKey = nil
        options.output = .bundle(dir + "/unsigned.tar")
        _ = try await exporter.run(options)
        let unsigned = try await verify(dir + "/unsigned.tar", key.publicKey)
        #expect(unsigned.problems.map(\.kind) == [.signature])

        // Change the content index (one byte): the signature no longer holds.
        let member = try #require(try BundleInspection(path: dir + "/signed.tar").members.first { $0.name == ContentIndex.memberName })
        let file = try PositionalFile(path: dir + "/signed.tar", flags: O_RDWR)
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { try file.read(into: $0, at: member.dataOffset + member.size / 2) }
        byte[0] ^= 0x01
        try file.write(byte, at: member.dataOffset + member.size / 2)
        try file.close()
        let tampered = try await verify(dir + "/signed.tar", key.publicKey)
        #expect(tampered.problems.contains { $0.kind == .signature })
    }
}
