import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules: a bundle signature verifies only the exact bytes it was made over, only with its key,
/// and always encodes to the same length per algorithm (the bundle writer plans its member
/// before signing). Ed25519 (what `ferry key generate` makes, issue 18) signs deterministically,
/// so signed bundles are reproducible; P-256 keys of earlier ferry and of openssl still work.
@Suite struct BundleSignatureTests {
    enum Source: String, CaseIterable, Sendable { case generated, opensslEd25519, opensslP256 }

    static func key(_ source: Source, in dir: String) throws -> SigningKey {
        switch source {
        case .generated:
            return SigningKey.generate()
        case .opensslEd25519:
            _ = try Tool.run("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", dir + "/ed.pem"])
            return try SigningKey(pem: try String(contentsOfFile: dir + "/ed.pem", encoding: .utf8))
        case .opensslP256:
            _ = try Tool.run("/usr/bin/openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir + "/p256.pem"])
            return try SigningKey(pem: try String(contentsOfFile: dir + "/p256.pem", encoding: .utf8))
        }
    }

    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "ferry-sig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(arguments: Source.allCases)
    func signsVerifiesAndHasFixedSize(_ source: Source) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try Self.key(source, in: dir)
        let other = SigningKey.generate()
        let index = Array(#"{"schemaVersion":1}"#.utf8)
        var seen = Set<String>()
        for _ in 0..<20 {
            let signature = try BundleSignature.sign(index, with: key)
            seen.insert(signature.signature)
            #expect(try signature.encoded().count == BundleSignature.encodedSize(for: key))
            #expect(signature.verifies(index, with: key.publicKey))
            #expect(!signature.verifies(index + [0x20], with: key.publicKey))
            #expect(!signature.verifies(index, with: other.publicKey))
        }
        // Ed25519 is deterministic (reproducible signed bundles); ECDSA is not.
        #expect(seen.count == (source == .opensslP256 ? 20 : 1), "\(source): \(seen.count) distinct signatures")
        // Keys survive their PEM form.
        let reloaded = try VerifyingKey(pem: key.publicKey.pem)
        #expect(reloaded.keyID == key.publicKey.keyID)
        #expect(try BundleSignature.sign(index, with: try SigningKey(pem: key.pem)).verifies(index, with: reloaded))
        #expect(throws: FerryCoreError.self) { try VerifyingKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") }
    }

    /// ferry's Ed25519 keys and signatures are the standard ones: openssl derives the same public
    /// key from ferry's private key and verifies ferry's signature.
    @Test func ed25519AgreesWithOpenSSL() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = SigningKey.generate()
        try key.pem.write(toFile: dir + "/key.pem", atomically: true, encoding: .utf8)
        let derived = try Tool.run("/usr/bin/openssl", ["pkey", "-in", dir + "/key.pem", "-pubout"])
        #expect(derived.trimmingCharacters(in: .whitespacesAndNewlines) == key.publicKey.pem)
        try key.publicKey.pem.write(toFile: dir + "/pub.pem", atomically: true, encoding: .utf8)
        let data = Array(#"{"schemaVersion":1,"images":[]}"#.utf8)
        try Data(data).write(to: URL(fileURLWithPath: dir + "/data"))
        let signature = try BundleSignature.sign(data, with: key)
        try #require(Data(base64Encoded: signature.signature)).write(to: URL(fileURLWithPath: dir + "/sig"))
        let verified = try Tool.run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", dir + "/pub.pem", "-rawin",
                                                         "-in", dir + "/data", "-sigfile", dir + "/sig"])
        #expect(verified.contains("Signature Verified Successfully"), "\(verified)")
    }
}
