import Crypto
import Foundation

/// A detached signature over the exact bytes of a bundle's content index (`ferry-index.json`),
/// which pins every blob digest: one signature covers the whole bundle
/// (`formats/ferry-bundle/SPEC.md`, "Signed bundles"). ECDSA P-256 with SHA-256 (swift-crypto).
///
/// The encoding has a fixed length (fixed algorithm and key-ID lengths, a raw 64-byte
/// signature), so the bundle writer can plan the member before the content index it signs
/// exists.
public struct BundleSignature: Codable, Sendable, Equatable {
    public static let memberName = "ferry-index.json.sig"
    public static let algorithmName = "ecdsa-p256-sha256"

    public var algorithm: String
    /// `sha256:` + hex of the signing key's public key (SubjectPublicKeyInfo DER).
    public var keyID: String
    /// Base64 of the raw (r‖s) 64-byte signature.
    public var signature: String

    /// Signs `contentIndex` with `key`.
    public static func sign(_ contentIndex: [UInt8], with key: SigningKey) throws -> BundleSignature {
        let signature = try key.key.signature(for: contentIndex)
        return BundleSignature(algorithm: algorithmName, keyID: key.publicKey.keyID, signature: signature.rawRepresentation.base64EncodedString())
    }

    /// The size of any encoded signature (they all have the same length).
    public static var encodedSize: Int {
        let sample = BundleSignature(algorithm: algorithmName, keyID: "sha256:" + String(repeating: "0", count: 64),
                                     signature: Data(count: 64).base64EncodedString())
        return (try? sample.encoded().count) ?? 0
    }

    /// True when this signature was made over `contentIndex` by the holder of `key`.
    public func verifies(_ contentIndex: [UInt8], with key: VerifyingKey) -> Bool {
        guard algorithm == Self.algorithmName, keyID == key.keyID, let raw = Data(base64Encoded: signature),
              let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else { return false }
        return key.key.isValidSignature(parsed, for: contentIndex)
    }

    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.encode(self)
    }

    public static func decode(_ bytes: [UInt8]) throws -> BundleSignature {
        try JSONDecoder().decode(BundleSignature.self, from: Data(bytes))
    }
}

/// A private key for signing bundles (PEM, PKCS#8 or SEC1, as `openssl` and `ferry key generate` write).
public struct SigningKey: Sendable {
    let key: P256.Signing.PrivateKey

    public static func generate() -> SigningKey { SigningKey(key: P256.Signing.PrivateKey()) }

    public init(pem: String) throws(FerryCoreError) {
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw .invalidKey(reason: "not a P-256 private key in PEM form")
        }
    }

    init(key: P256.Signing.PrivateKey) { self.key = key }

    public var pem: String { key.pemRepresentation }
    public var publicKey: VerifyingKey { VerifyingKey(key: key.publicKey) }
}

/// A public key for checking bundle signatures (PEM SubjectPublicKeyInfo).
public struct VerifyingKey: Sendable {
    let key: P256.Signing.PublicKey

    public init(pem: String) throws(FerryCoreError) {
        do {
            key = try P256.Signing.PublicKey(pemRepresentation: pem)
        } catch {
            throw .invalidKey(reason: "not a P-256 public key in PEM form")
        }
    }

    init(key: P256.Signing.PublicKey) { self.key = key }

    public var pem: String { key.pemRepresentation }
    public var keyID: String { DigestHasher.digest(of: Array(key.derRepresentation)).description }
}
