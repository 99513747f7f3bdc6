/// Facts the use cases report while they run. The CLI turns them into progress bars or log
/// lines; the library never prints.
public enum ProgressEvent: Sendable {
    case resolving(image: String)
    /// How many images the run will produce (import knows it before any transfer).
    case imagesPlanned(Int)
    case resolved(image: String, digest: Digest, platforms: [Platform])
    case warning(String)
    /// Something worth a line in the log that is not a problem.
    case note(String)
    /// The transfer plan: distinct blobs and their bytes, and how many still have to be
    /// transferred (the rest were fetched while resolving or are already in the output).
    case planned(blobs: Int, bytes: Int64, toTransfer: Int, toTransferBytes: Int64)
    /// Verification: this many blobs and bytes will be hashed.
    case checking(blobs: Int, bytes: Int64)
    case blobStarted(Digest, size: Int64)
    /// `count` more bytes arrived (may be negative when a transfer restarts from zero).
    case bytes(Int64)
    case blobFinished(Digest, size: Int64)
    /// Every blob of this image is in place.
    case imageCompleted(image: String)
    case finished
}

/// Receives progress events from any thread; must be cheap and must not block.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
