#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one blob to its final path only after its bytes verified.
///
/// Bytes go to a hidden temporary file next to the destination while a `BlobVerifier` checks
/// them. `commit()` verifies size and digest, fsyncs, and renames; until then nothing exists
/// under the final name. An uncommitted writer removes its temporary file.
/// Confined to one thread at a time (not `Sendable`).
public final class VerifiedFileWriter {
    public let finalPath: String
    private let temporaryPath: String
    private let file: PositionalFile
    private var verifier: BlobVerifier
    private var committed = false

    /// `mode` is the file's permission bits, set exactly (the umask does not apply).
    public init(descriptor: Descriptor, finalPath: String, mode: mode_t = 0o644) throws(FerryCoreError) {
        self.finalPath = finalPath
        temporaryPath = FileSystem.temporaryName(for: finalPath)
        file = try PositionalFile(path: temporaryPath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        verifier = BlobVerifier(descriptor)
        guard chmod(temporaryPath, mode) == 0 else {
            let code = errno
            FileSystem.remove(temporaryPath)
            throw .io(operation: "chmod", path: temporaryPath, errno: code)
        }
    }

    deinit {
        if !committed { FileSystem.remove(temporaryPath) }
    }

    /// Bytes written so far.
    public var received: Int64 { verifier.received }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(FerryCoreError) {
        let offset = verifier.received
        try verifier.update(buffer)
        try file.write(buffer, at: offset)
    }

    /// Starts over (a server ignored a Range request and sent the whole blob again).
    public func reset() throws(FerryCoreError) {
        try file.truncate(to: 0)
        verifier = BlobVerifier(digest: verifier.expectedDigest, size: verifier.expectedSize)
    }

    /// Verifies, syncs and renames into place.
    public func commit() throws(FerryCoreError) {
        try verifier.finish()
        try file.sync()
        try file.close()
        try FileSystem.commitRename(from: temporaryPath, to: finalPath)
        committed = true
    }
}
