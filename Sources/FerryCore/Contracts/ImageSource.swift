/// A place images are read from: a registry today; an OCI layout or an archive later, behind
/// the same three questions, so export, import and copy share one engine.
public protocol ImageSource: Sendable {
    /// Fetches the manifest or index `reference` names (by tag or digest), exactly as stored.
    func manifest(_ reference: ImageReference) async throws -> FetchedManifest
    /// Streams a blob of `reference`'s repository into `target` (the caller verifies).
    func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws
    /// Every tag of `reference`'s repository (to find cosign-style `sha256-<hex>.sig` tags and
    /// the referrers fallback tag). Sources without tags return none.
    func tags(of reference: ImageReference) async throws -> [String]
    /// The manifests whose `subject` is `digest` (OCI 1.1 referrers API); nil when the source
    /// has no such API.
    func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]?
}

extension ImageSource {
    public func tags(of reference: ImageReference) async throws -> [String] { [] }
    public func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? { nil }
}

/// Collects a small blob (a config) in memory, refusing more than its descriptor's size.
public final class MemoryBlobTarget: BlobSink, @unchecked Sendable {
    private let mutex = Mutex()
    private var bytes: [UInt8] = []
    private var verifier: BlobVerifier

    public init(_ descriptor: Descriptor) {
        verifier = BlobVerifier(descriptor)
    }

    public var received: Int64 { mutex.withLock { verifier.received } }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        try mutex.withLock {
            try verifier.update(buffer)
            bytes.append(contentsOf: buffer)
        }
    }

    public func restart() throws {
        mutex.withLock {
            bytes.removeAll()
            verifier = BlobVerifier(digest: verifier.expectedDigest, size: verifier.expectedSize)
        }
    }

    /// The verified bytes.
    public func finish() throws -> [UInt8] {
        try mutex.withLock {
            try verifier.finish()
            return bytes
        }
    }
}
