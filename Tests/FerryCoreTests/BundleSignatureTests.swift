import FerryCore
import Testing

/// Rule: a bundle signature verifies only the exact bytes it was made over, only with its key,
/// and always encodes to the same length (the bundle writer plans its member before signing).
@Suite struct BundleSignatureTests {
    @Test func signsVerifiesAndHasFixedSize() throws {
        let key = SigningKey.generate()
        let other = SigningKey.generate()
        let index = Array(#"{"schemaVersion":1}"#.utf8)
        for _ in 0..<50 {
            let signature = try BundleSignature.sign(index, with: key)
            #expect(try signature.encoded().count == BundleSignature.encodedSize)
            #expect(signature.verifies(index, with: key.publicKey))
            #expect(!signature.verifies(index + [0x20], with: key.publicKey))
            #expect(!signature.verifies(index, with: other.publicKey))
        }
        // Keys survive their PEM form.
        let reloaded = try VerifyingKey(pem: key.publicKey.pem)
        #expect(reloaded.keyID == key.publicKey.keyID)
        #expect(try BundleSignature.sign(index, with: try SigningKey(pem: key.pem)).verifies(index, with: reloaded))
        #expect(throws: FerryCoreError.self) { try VerifyingKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") }
    }
}
