import Dispatch
import FerryArchive
import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes one blob into its slot of the bundle, hashing as it goes.
final class SlotWriter: BlobWriteSession, @unchecked Sendable {
    private let file: PositionalFile
    private let offset: Int64
    private let journal: BundleJournal
    private let mutex = Mutex()
    private var verifier: BlobVerifier

    init(file: PositionalFile, offset: Int64, descriptor: Descriptor, journal: BundleJournal) {
        self.file = file
        self.offset = offset
        self.journal = journal
        verifier = BlobVerifier(descriptor)
    }

    var received: Int64 { mutex.withLock { verifier.received } }

    /// Writeback is started every this many bytes, overlapping the disk with the network.
    static let writebackChunk: Int64 = 32 << 20

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        try mutex.withLock {
            let position = verifier.received
            try verifier.update(buffer)
            try file.write(buffer, at: offset + position)
            let written = position + Int64(buffer.count)
            if written / Self.writebackChunk != position / Self.writebackChunk {
                let start = (position / Self.writebackChunk) * Self.writebackChunk
                Writeback.start(file, offset: offset + start, length: written - start)
            }
        }
    }

    func restart() throws {
        mutex.withLock { verifier = BlobVerifier(digest: verifier.expectedDigest, size: verifier.expectedSize) }
    }

    func finish() throws {
        let (digest, size) = try mutex.withLock { (try verifier.finish(), verifier.received) }
        let tail = size % Self.writebackChunk
        Writeback.start(file, offset: offset + size - tail, length: tail)
        try journal.record(digest)
    }
}
