/// A place images are written to: a ferry bundle tar or an OCI layout directory today, a
/// registry later. The copy engine drives every destination the same way:
/// `begin` (lay out, write what is in memory, say what is already there), one `target` per
/// missing blob, then `commit` (make it all visible at once).
public protocol ImageDestination: AnyObject, Sendable {
    /// Prepares for `plan`; returns the digests already present and verified (not fetched again).
    func begin(_ plan: CopyPlan) async throws -> Set<Digest>
    /// A session receiving one blob's bytes; `finish()` verifies and records it.
    func target(for blob: CopyPlan.Blob) throws -> any BlobWriteSession
    /// Makes the result visible under its final name.
    func commit() async throws -> DestinationResult
}

/// Receives one blob's bytes (possibly across several attempts) and verifies them at the end.
public protocol BlobWriteSession: BlobSink {
    /// Verifies size and digest and records the blob as complete.
    func finish() throws
}

/// What a destination produced.
public struct DestinationResult: Sendable {
    public var path: String
    /// SHA-256 of the content index member (bundles only).
    public var contentIndexDigest: Digest?
    /// Size of the written file (bundles) or bytes added (layouts).
    public var bytesWritten: Int64
    /// The part files of a split bundle, in order (`--split-size`); nil otherwise.
    public var parts: [String]? = nil

    public init(path: String, contentIndexDigest: Digest?, bytesWritten: Int64, parts: [String]? = nil) {
        self.path = path
        self.contentIndexDigest = contentIndexDigest
        self.bytesWritten = bytesWritten
        self.parts = parts
    }
}
