public import FerryCore

/// What `ferry serve` reports while it runs. The server only states facts; the CLI renders them
/// on stderr, as text or as JSON lines (`--format json`).
public enum ServeEvent: Sendable {
    /// The server accepts connections at `address` (`host:port`, with the port bound when 0
    /// was asked for), over `scheme` (http or https).
    case listening(address: String, scheme: String, bundles: Int, images: Int, blobs: Int)
    /// `--verify` at start: every blob checked, and how many are damaged.
    case checked(blobs: Int, bytes: Int64, damaged: Int)
    /// A blob whose bytes do not match its digest: it is answered with 500 from now on.
    case damaged(digest: Digest, bundle: String, reason: String, images: [String])
    /// One request, when its answer is complete (or was cut off).
    case access(AccessRecord)
    /// Shutting down: no new connections; the ones in flight are finished.
    case stopping
}

/// One line of the access log.
public struct AccessRecord: Sendable, Codable, Equatable {
    public let method: String
    /// The path and query as asked for.
    public let target: String
    public let status: Int
    /// Body bytes sent.
    public let bytes: Int64
    public let milliseconds: Int
    /// The peer's address, when known.
    public let remote: String?
    /// Why the answer stopped early (the client went away), or why credentials were refused.
    public let note: String?

    public init(method: String, target: String, status: Int, bytes: Int64, milliseconds: Int, remote: String?, note: String? = nil) {
        self.method = method
        self.target = target
        self.status = status
        self.bytes = bytes
        self.milliseconds = milliseconds
        self.remote = remote
        self.note = note
    }
}
