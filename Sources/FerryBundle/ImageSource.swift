public import FerryCore
public import FerryRegistry

/// A place images are read from: a registry today; an OCI layout or an archive later, behind
/// the same three questions, so export, import and copy share one engine.
public protocol ImageSource: Sendable {
    /// Fetches the manifest or index `reference` names (by tag or digest), exactly as stored.
    func manifest(_ reference: ImageReference) async throws -> FetchedManifest
    /// Streams a blob of `reference`'s repository into `target` (the caller verifies).
    func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobDownloadTarget) async throws
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

/// Images in a registry, through `RegistryClient`.
public struct RegistrySource: ImageSource {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    public func manifest(_ reference: ImageReference) async throws -> FetchedManifest {
        try await client.fetchManifest(reference)
    }

    public func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobDownloadTarget) async throws {
        try await client.fetchBlob(registry: reference.registry, repository: reference.repository,
                                   descriptor: descriptor, into: target)
    }

    public func tags(of reference: ImageReference) async throws -> [String] {
        try await client.listTags(registry: reference.registry, repository: reference.repository)
    }

    public func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? {
        try await client.referrers(registry: reference.registry, repository: reference.repository, digest: digest)
    }
}

/// Collects a small blob (a config) in memory, refusing more than its descriptor's size.
final class MemoryBlobTarget: BlobDownloadTarget, @unchecked Sendable {
    private let mutex = Mutex()
    private var bytes: [UInt8] = []
    private var verifier: BlobVerifier

    init(_ descriptor: Descriptor) {
        verifier = BlobVerifier(descriptor)
    }

    var received: Int64 { mutex.withLock { verifier.received } }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        try mutex.withLock {
            try verifier.update(buffer)
            bytes.append(contentsOf: buffer)
        }
    }

    func restart() throws {
        mutex.withLock {
            bytes.removeAll()
            verifier = BlobVerifier(digest: verifier.expectedDigest, size: verifier.expectedSize)
        }
    }

    /// The verified bytes.
    func finish() throws -> [UInt8] {
        try mutex.withLock {
            try verifier.finish()
            return bytes
        }
    }
}
