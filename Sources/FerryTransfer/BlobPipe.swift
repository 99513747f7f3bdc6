import FerryCore
import FerryHTTP
import FerryRegistry
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bounded in-memory pipe from a blob download to a blob upload (`ferry copy`): the
/// download's write callback fills it, the upload's read callback drains it, both on their own
/// transfer threads (`CurlWorkerPool`), so a registry-to-registry copy needs no local disk and
/// at most `capacity` bytes of memory per blob.
///
/// Bytes are hashed on the way in and the digest is checked when the download ends: a reader
/// sees the end of the stream only after the blob verified, otherwise it sees the error, so a
/// damaged download can never complete an upload. A download that has to restart from byte 0
/// after the reader consumed something fails the pipe (an upload cannot be rewound); the copy
/// then starts over with a new pipe.
final class BlobPipe: BlobSink, HTTPBodyStream, @unchecked Sendable {
    let descriptor: Descriptor
    private let capacity: Int
    private var buffer: [UInt8]
    private var head = 0
    private var count = 0
    private var verifier: BlobVerifier
    private var consumed: Int64 = 0
    private var finished = false
    private var failure: (any Error)?
    private var claimed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Bytes the upload has taken so far (for progress, and to undo it when a copy restarts).
    var sent: Int64 { locked { consumed } }

    init(_ descriptor: Descriptor, capacity: Int = 4 << 20) {
        self.descriptor = descriptor
        self.capacity = max(64 << 10, min(capacity, Int(max(descriptor.size, 1))))
        buffer = [UInt8](repeating: 0, count: self.capacity)
        verifier = BlobVerifier(descriptor)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    // MARK: Download side

    var received: Int64 { locked { verifier.received } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        try locked {
            try verifier.update(bytes)
        }
        while offset < bytes.count {
            try locked {
                while count == capacity && failure == nil { pthread_cond_wait(changed, mutex) }
                if let failure { throw failure }
                let tail = (head + count) % capacity
                let room = min(capacity - count, capacity - tail, bytes.count - offset)
                buffer.withUnsafeMutableBytes { target in
                    target.baseAddress.map { ($0 + tail).copyMemory(from: base + offset, byteCount: room) }
                }
                count += room
                offset += room
                pthread_cond_broadcast(changed)
            }
        }
    }

    func restart() throws {
        try locked {
            // Bytes the upload already sent cannot be taken back; unsent ones are dropped.
            guard consumed == 0 else {
                let error = FerryTransferError.blob(descriptor.digest, images: [], doing: "copying",
                                                  underlying: FerryTransferError.supply(location: "download", reason: "restarted from byte 0 after the upload had sent bytes"))
                failure = error
                pthread_cond_broadcast(changed)
                throw error
            }
            head = 0
            count = 0
            verifier = BlobVerifier(descriptor)
        }
    }

    /// The download ended: check size and digest; the reader then sees the end (or the error).
    func finishWriting() throws {
        try locked {
            do {
                _ = try verifier.finish()
                finished = true
            } catch {
                failure = error
                pthread_cond_broadcast(changed)
                throw error
            }
            pthread_cond_broadcast(changed)
        }
    }

    /// Either side gave up: wake the other with `error`.
    func fail(_ error: any Error) {
        locked {
            if failure == nil { failure = error }
            pthread_cond_broadcast(changed)
        }
    }

    // MARK: Upload side

    func claim() throws {
        try locked {
            guard !claimed else {
                throw FerryTransferError.blob(descriptor.digest, images: [], doing: "copying",
                                            underlying: FerryTransferError.supply(location: "upload", reason: "a streamed blob cannot be sent twice"))
            }
            claimed = true
        }
    }

    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        try locked {
            while count == 0 && failure == nil && !finished { pthread_cond_wait(changed, mutex) }
            if let failure { throw failure }
            if count == 0 { return 0 }
            let take = min(count, capacity - head, target.count)
            buffer.withUnsafeBytes { source in
                if let from = source.baseAddress, let to = target.baseAddress { to.copyMemory(from: from + head, byteCount: take) }
            }
            head = (head + take) % capacity
            count -= take
            consumed += Int64(take)
            pthread_cond_broadcast(changed)
            return take
        }
    }
}
