import CFerrySystem
import Foundation
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// An open file with positional reads and writes; possibly one logical file made of parts.
///
/// `pread`/`pwrite` at explicit offsets are safe to issue from several threads at once as long
/// as the byte ranges do not overlap; the bundle writer relies on this to fill blob slots of one
/// output file in parallel. The descriptors are immutable after `init`, hence `@unchecked Sendable`.
///
/// A split bundle (`--split-size`) is one tar cut into consecutive part files. Opened with
/// `init(parts:flags:)`, the parts behave as one file: offsets are offsets into their
/// concatenation, and a read or write that crosses a boundary continues in the next part. So
/// the tar scanner, blob readers and verifier read across parts without joining them on disk.
public final class PositionalFile: @unchecked Sendable {
    /// One part: its file, where it starts in the logical file, and its length (nil: unbounded,
    /// the single-file case).
    struct Segment {
        let path: String
        let fd: Int32
        let start: Int64
        let length: Int64?
    }

    /// The path of the file, or of the first part.
    public let path: String
    private let segments: [Segment]
    private let closed = Flag()

    /// Opens `path` with `open(2)` flags; `mode` applies when the file is created.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(FerryCoreError) {
        self.path = path
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        segments = [Segment(path: path, fd: fd, start: 0, length: nil)]
    }

    /// Opens consecutive parts as one logical file. Each part has a fixed length; the logical
    /// size is their sum. A part shorter on disk than its length reads as the end of the file.
    public init(parts: [(path: String, length: Int64)], flags: Int32, mode: mode_t = 0o644) throws(FerryCoreError) {
        guard let first = parts.first else { throw .io(operation: "open (no parts)", path: "", errno: EINVAL) }
        path = first.path
        var segments: [Segment] = []
        var start: Int64 = 0
        for part in parts {
            let fd = open(part.path, flags | O_CLOEXEC, mode)
            guard fd >= 0 else {
                let code = errno
                for segment in segments { _ = Glibc.close(segment.fd) }
                throw .io(operation: "open", path: part.path, errno: code)
            }
            segments.append(Segment(path: part.path, fd: fd, start: start, length: part.length))
            start += part.length
        }
        self.segments = segments
    }

    deinit {
        if !closed.isSet { for segment in segments { _ = Glibc.close(segment.fd) } }
    }

    /// The paths of the parts (one for an ordinary file).
    public var partPaths: [String] { segments.map(\.path) }

    /// Which part holds logical byte `offset`, and its path (for messages about damage).
    public func part(containing offset: Int64) -> (index: Int, path: String) {
        let index = segmentIndex(for: offset) ?? max(segments.count - 1, 0)
        return (index, segments[index].path)
    }

    /// An ordinary file: no part boundaries to respect.
    private var isSingleFile: Bool { segments.count == 1 && segments[0].length == nil }

    /// Binary search of the parts' starts: a read or write of a bundle in hundreds of parts
    /// (500 GB in 1 GiB parts) looked through them one by one for every network buffer.
    private func segmentIndex(for offset: Int64) -> Int? {
        if isSingleFile { return 0 }
        // The first part whose end lies past `offset` (a part without a length never ends).
        var low = 0, high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if let length = segments[middle].length, offset >= segments[middle].start + length {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < segments.count ? low : nil
    }

    /// The part holding logical byte `position`, where that is inside the part, and how many of
    /// the `count` bytes wanted from there lie in it. Computed piece by piece, so a read or write
    /// (a hot path: one per network buffer) allocates nothing. Internal for `extents(from:length:)`.
    func piece(at position: Int64, wanting count: Int) -> (segment: Segment, partOffset: Int64, length: Int)? {
        if isSingleFile { return (segments[0], position, count) }
        guard let index = segmentIndex(for: position) else { return nil }
        let segment = segments[index]
        let room = segment.length.map { segment.start + $0 - position } ?? Int64(count)
        return (segment, position - segment.start, Int(min(Int64(count), room)))
    }

    /// Writes all of `buffer` at `offset`.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(FerryCoreError) {
        if !isSingleFile, let last = segments.last, let length = last.length, offset + Int64(buffer.count) > last.start + length {
            throw .io(operation: "write past the last part", path: path, errno: EFBIG)
        }
        var written = 0
        while written < buffer.count {
            guard let (segment, partOffset, length) = piece(at: offset + Int64(written), wanting: buffer.count - written) else {
                throw .io(operation: "write past the last part", path: path, errno: EFBIG)
            }
            var done = 0
            while done < length {
                let n = pwrite(segment.fd, buffer.baseAddress.map { $0 + written + done }, length - done, off_t(partOffset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(operation: "write", path: segment.path, errno: errno)
                }
                done += n
            }
            written += length
        }
    }

    public func write(_ bytes: [UInt8], at offset: Int64) throws(FerryCoreError) {
        var failure: FerryCoreError?
        bytes.withUnsafeBytes { buffer in
            do throws(FerryCoreError) { try write(buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count (0 at end of file).
    /// Across parts, a short part ends the read there (it reads as the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FerryCoreError) -> Int {
        var total = 0
        while total < buffer.count, let (segment, partOffset, length) = piece(at: offset + Int64(total), wanting: buffer.count - total) {
            let n: Int
            while true {
                let result = pread(segment.fd, buffer.baseAddress.map { $0 + total }, length, off_t(partOffset))
                if result < 0 {
                    if errno == EINTR { continue }
                    throw .io(operation: "read", path: segment.path, errno: errno)
                }
                n = result
                break
            }
            total += n
            if n < length { break }
        }
        return total
    }

    /// Reserves `size` bytes of disk for the file (contiguous extents where the file system can),
    /// so parallel writes at scattered offsets do not fragment it and a full disk is found
    /// before the first download rather than in the middle. Falls back to `truncate` on file
    /// systems without `fallocate` (tmpfs before 3.5, some network file systems). For parts,
    /// each part is reserved at its own length.
    public func preallocate(_ size: Int64) throws(FerryCoreError) {
        for segment in segments {
            let length = segment.length ?? size
            let result = posix_fallocate(segment.fd, 0, off_t(length))
            if result == 0 { continue }
            if result == EOPNOTSUPP || result == EINVAL || result == ENOSYS {
                guard ftruncate(segment.fd, off_t(length)) == 0 else { throw .io(operation: "truncate", path: segment.path, errno: errno) }
                continue
            }
            throw .io(operation: "allocate \(length) bytes for", path: segment.path, errno: result)
        }
    }

    /// Starts writing a range back to disk without waiting for it, so the final `sync()` has
    /// little left to do. Advisory: errors surface at `sync()`.
    public func startWriteback(offset: Int64, length: Int64) {
        var done: Int64 = 0
        while done < length, let (segment, partOffset, pieceLength) = piece(at: offset + done, wanting: Int(length - done)) {
            _ = ferry_start_writeback(segment.fd, partOffset, Int64(pieceLength))
            done += Int64(pieceLength)
        }
    }

    /// Sets the file's length (sparse when growing). Single files only.
    /// Whether `path` names the file this object has open (same device and inode): false when
    /// the name was removed or now names another file. For a split file, the first part.
    public func isSameFile(as path: String) -> Bool {
        guard let first = segments.first else { return false }
        var open = stat(), named = stat()
        guard fstat(first.fd, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    public func truncate(to size: Int64) throws(FerryCoreError) {
        guard segments.count == 1 else { throw .io(operation: "truncate (parts)", path: path, errno: EINVAL) }
        guard ftruncate(segments[0].fd, off_t(size)) == 0 else { throw .io(operation: "truncate", path: path, errno: errno) }
    }

    /// The current length of the file; for parts, the sum of their planned lengths.
    public func size() throws(FerryCoreError) -> Int64 {
        if !isSingleFile, let last = segments.last, let length = last.length { return last.start + length }
        var st = stat()
        guard fstat(segments[0].fd, &st) == 0 else { throw .io(operation: "stat", path: path, errno: errno) }
        return Int64(st.st_size)
    }

    /// Flushes data and metadata of every part to stable storage.
    public func sync() throws(FerryCoreError) {
        for segment in segments {
            guard fsync(segment.fd) == 0 else { throw .io(operation: "fsync", path: segment.path, errno: errno) }
        }
    }

    public func close() throws(FerryCoreError) {
        guard closed.set() else { return }
        var failure: FerryCoreError?
        for segment in segments where Glibc.close(segment.fd) != 0 && failure == nil {
            failure = .io(operation: "close", path: segment.path, errno: errno)
        }
        if let failure { throw failure }
    }
}

extension PositionalFile {
    /// Reads `count` bytes at `offset`, fewer only at the end of the file: the caller compares
    /// the length with what it expected and names its own file and member when it is short.
    public func read(count: Int, at offset: Int64) throws(FerryCoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: FerryCoreError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(FerryCoreError) {
                while done < count {
                    let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
                    if n == 0 { break }
                    done += n
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        return done == count ? bytes : Array(bytes[..<done])
    }

    /// Streams `length` bytes from `offset` through `body` in chunks of `chunkSize` (one buffer,
    /// reused), stopping early at the end of the file. Returns the bytes read: less than `length`
    /// means the file is shorter than the caller expected. `length` nil reads to the end.
    @discardableResult
    public func forEachChunk(from offset: Int64 = 0, length: Int64? = nil, chunkSize: Int = 1 << 20,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        // Page-aligned: the kernel copies into it fastest.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while length.map({ position < $0 }) ?? true {
            let want = Int(min(Int64(chunkSize), (length ?? Int64.max) - position))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset + position)
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
        }
        return position
    }
}
