import Crypto

/// Incremental hashing for one digest algorithm (SHA-256 uses the CPU's SHA extensions through
/// swift-crypto's BoringSSL backend).
public struct DigestHasher: Sendable {
    private enum State: Sendable {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    private var state: State
    public let algorithm: Digest.Algorithm

    public init(_ algorithm: Digest.Algorithm = .sha256) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        switch state {
        case .sha256(var h):
            h.update(bufferPointer: buffer)
            state = .sha256(h)
        case .sha512(var h):
            h.update(bufferPointer: buffer)
            state = .sha512(h)
        }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The digest of everything passed to `update` so far.
    public func finalize() -> Digest {
        switch state {
        case .sha256(let h): return Digest(algorithm: algorithm, bytes: Array(h.finalize()))
        case .sha512(let h): return Digest(algorithm: algorithm, bytes: Array(h.finalize()))
        }
    }

    /// The digest of `bytes`.
    public static func digest(of bytes: some Collection<UInt8>, algorithm: Digest.Algorithm = .sha256) -> Digest {
        var hasher = DigestHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }

}
