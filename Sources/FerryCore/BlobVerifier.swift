/// Checks one blob's bytes against its descriptor while they stream.
///
/// Every byte that crosses a trust boundary (network, tar member, file) passes through a
/// verifier: it refuses bytes past the declared size as soon as they arrive (so a hostile
/// peer cannot fill the disk), hashes the rest, and `finish()` compares size, then digest.
public struct BlobVerifier: Sendable {
    public let expectedDigest: Digest
    public let expectedSize: Int64
    public private(set) var received: Int64 = 0
    private var hasher: DigestHasher

    public init(digest: Digest, size: Int64) {
        expectedDigest = digest
        expectedSize = size
        hasher = DigestHasher(digest.algorithm)
    }

    public init(_ descriptor: Descriptor) {
        self.init(digest: descriptor.digest, size: descriptor.size)
    }

    /// Adds bytes; throws as soon as they would exceed the declared size.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) throws(FerryCoreError) {
        let next = received + Int64(buffer.count)
        guard next <= expectedSize else {
            throw .sizeExceeded(digest: expectedDigest, expected: expectedSize, received: next)
        }
        received = next
        hasher.update(buffer)
    }

    /// Verifies size, then digest, of everything received.
    @discardableResult
    public func finish() throws(FerryCoreError) -> Digest {
        guard received == expectedSize else {
            throw .sizeMismatch(digest: expectedDigest, expected: expectedSize, actual: received)
        }
        let actual = hasher.finalize()
        guard actual == expectedDigest else {
            throw .digestMismatch(expected: expectedDigest, actual: actual)
        }
        return actual
    }
}
