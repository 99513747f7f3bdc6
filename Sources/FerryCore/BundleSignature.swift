import Crypto
import Foundation

/// A detached signature over the exact bytes of a bundle's content index (`ferry-index.json`),
/// which pins every blob digest: one signature covers the whole bundle
/// (`formats/ferry-bundle/SPEC.md`, "Signed bundles").
///
/// Two algorithms (swift-crypto):
/// - `ed25519`, what `ferry key generate` makes since issue 18: deterministic (RFC 8032, as
///   BoringSSL's `ED25519_sign` computes it), so the same key and the same content index give
///   the same signature bytes, and a signed bundle is reproducible byte for byte;
/// - `ecdsa-p256-sha256`, of keys made before (and of `openssl ecparam` keys): still signs and
///   verifies, but each signature is random, so a bundle signed with it is not reproducible.
///
/// The encoding has a fixed length per algorithm (fixed algorithm name and key-ID lengths, a raw
/// 64-byte signature), so the bundle writer can plan the member before the content index it
/// signs exists.
public struct BundleSignature: Codable, Sendable, Equatable {
    public static let memberName = "ferry-index.json.sig"
    public static let ecdsaP256 = "ecdsa-p256-sha256"
    public static let ed25519 = "ed25519"

    public var algorithm: String
    /// `sha256:` + hex of the signing key's public key (SubjectPublicKeyInfo DER).
    public var keyID: String
    /// Base64 of the raw 64-byte signature (r‖s for ECDSA).
    public var signature: String

    /// Signs `contentIndex` with `key`.
    public static func sign(_ contentIndex: [UInt8], with key: SigningKey) throws -> BundleSignature {
        let raw: Data
        switch key.kind {
        case .p256(let secret): raw = try secret.signature(for: contentIndex).rawRepresentation
        case .ed25519(let secret): raw = try secret.signature(for: contentIndex)
        }
        return BundleSignature(algorithm: key.algorithm, keyID: key.publicKey.keyID, signature: raw.base64EncodedString())
    }

    /// The size of any encoded signature made with `key` (they all have the same length).
    public static func encodedSize(for key: SigningKey) -> Int {
        let sample = BundleSignature(algorithm: key.algorithm, keyID: "sha256:" + String(repeating: "0", count: 64),
                                     signature: Data(count: 64).base64EncodedString())
        return (try? sample.encoded().count) ?? 0
    }

    /// True when this signature was made over `contentIndex` by the holder of `key`.
    public func verifies(_ contentIndex: [UInt8], with key: VerifyingKey) -> Bool {
        guard algorithm == key.algorithm, keyID == key.keyID, let raw = Data(base64Encoded: signature) else { return false }
        switch key.kind {
        case .p256(let publicKey):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else { return false }
            return publicKey.isValidSignature(parsed, for: contentIndex)
        case .ed25519(let publicKey):
            return publicKey.isValidSignature(raw, for: contentIndex)
        }
    }

    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.encode(self)
    }

    public static func decode(_ bytes: [UInt8]) throws -> BundleSignature {
        try JSONDecoder().decode(BundleSignature.self, from: Data(bytes))
    }
}

/// A private key for signing bundles: Ed25519 (PKCS#8 PEM, as `ferry key generate` and
/// `openssl genpkey -algorithm ed25519` write) or P-256 (PKCS#8 or SEC1 PEM).
public struct SigningKey: Sendable {
    enum Kind: Sendable {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let kind: Kind

    /// A new Ed25519 key (deterministic signatures: reproducible signed bundles).
    public static func generate() -> SigningKey { SigningKey(kind: .ed25519(Curve25519.Signing.PrivateKey())) }

    public init(pem: String) throws(FerryCoreError) {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            kind = .p256(key)
        } else if let der = PEMBlock.der(pem, label: "PRIVATE KEY"), der.count == 48, Array(der.prefix(16)) == PEMBlock.ed25519PrivatePrefix,
                  let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)) {
            kind = .ed25519(key)
        } else {
            throw .invalidKey(reason: "not an Ed25519 or P-256 private key in PEM form")
        }
    }

    init(kind: Kind) { self.kind = kind }

    var algorithm: String {
        switch kind {
        case .p256: BundleSignature.ecdsaP256
        case .ed25519: BundleSignature.ed25519
        }
    }

    public var pem: String {
        switch kind {
        case .p256(let key): key.pemRepresentation
        case .ed25519(let key): PEMBlock.pem(PEMBlock.ed25519PrivatePrefix + Array(key.rawRepresentation), label: "PRIVATE KEY")
        }
    }

    public var publicKey: VerifyingKey {
        switch kind {
        case .p256(let key): VerifyingKey(kind: .p256(key.publicKey))
        case .ed25519(let key): VerifyingKey(kind: .ed25519(key.publicKey))
        }
    }
}

/// A public key for checking bundle signatures (PEM SubjectPublicKeyInfo, Ed25519 or P-256).
public struct VerifyingKey: Sendable {
    enum Kind: Sendable {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let kind: Kind

    public init(pem: String) throws(FerryCoreError) {
        if let key = try? P256.Signing.PublicKey(pemRepresentation: pem) {
            kind = .p256(key)
        } else if let der = PEMBlock.der(pem, label: "PUBLIC KEY"), der.count == 44, Array(der.prefix(12)) == PEMBlock.ed25519PublicPrefix,
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32)) {
            kind = .ed25519(key)
        } else {
            throw .invalidKey(reason: "not an Ed25519 or P-256 public key in PEM form")
        }
    }

    init(kind: Kind) { self.kind = kind }

    var algorithm: String {
        switch kind {
        case .p256: BundleSignature.ecdsaP256
        case .ed25519: BundleSignature.ed25519
        }
    }

    /// SubjectPublicKeyInfo DER.
    var der: [UInt8] {
        switch kind {
        case .p256(let key): Array(key.derRepresentation)
        case .ed25519(let key): PEMBlock.ed25519PublicPrefix + Array(key.rawRepresentation)
        }
    }

    public var pem: String {
        switch kind {
        case .p256(let key): key.pemRepresentation
        case .ed25519: PEMBlock.pem(der, label: "PUBLIC KEY")
        }
    }

    public var keyID: String { DigestHasher.digest(of: der).description }
}

/// The PEM framing of the Ed25519 keys (RFC 8410): swift-crypto reads and writes PEM for its
/// NIST curves only, and an Ed25519 key's DER is a fixed prefix and 32 bytes.
enum PEMBlock {
    /// PKCS#8 PrivateKeyInfo for id-Ed25519 (1.3.101.112), up to the 32-byte seed.
    static let ed25519PrivatePrefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    /// SubjectPublicKeyInfo for id-Ed25519, up to the 32-byte key.
    static let ed25519PublicPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The DER inside the first `-----BEGIN <label>-----` block, or nil.
    static func der(_ pem: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex) else { return nil }
        let body = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map(Array.init)
    }

    /// `der` as PEM with 64-character lines.
    static func pem(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return (["-----BEGIN \(label)-----"] + lines + ["-----END \(label)-----"]).joined(separator: "\n")
    }
}
