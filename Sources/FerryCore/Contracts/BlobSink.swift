/// Where a downloaded blob goes. Called on a transfer thread, one transfer at a time.
///
/// The target keeps what it received across attempts: a retry asks the registry only for the
/// rest (`Range`), and a registry that answers the whole blob again makes the target restart.
public protocol BlobSink: AnyObject, Sendable {
    /// Bytes received so far (and already hashed).
    var received: Int64 { get }
    func write(_ buffer: UnsafeRawBufferPointer) throws
    /// Forget everything received; the next byte written is byte 0.
    func restart() throws
}
