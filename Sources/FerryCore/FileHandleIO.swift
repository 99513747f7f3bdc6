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

    private func segmentIndex(for offset: Int64) -> Int? {
        if isSingleFile { return 0 }
        for (index, segment) in segments.enumerated() {
            if let length = segment.length, offset >= segment.start + length { continue }
            return index
        }
        return nil
    }

    /// The part holding logical byte `position`, where that is inside the part, and how many of
    /// the `count` bytes wanted from there lie in it. Computed piece by piece, so a read or write
    /// (a hot path: one per network buffer) allocates nothing.
    private func piece(at position: Int64, wanting count: Int) -> (segment: Segment, partOffset: Int64, length: Int)? {
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

/// A one-way flag that can be set once from any thread.
final class Flag: @unchecked Sendable {
    private var value = false
    private let lock = Mutex()
    var isSet: Bool { lock.withLock { value } }
    /// Sets the flag; true if this call set it.
    func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
}

/// A pthread mutex for short critical sections in code that runs on our own threads.
public final class Mutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// File-system helpers that keep ferry's "complete or absent" promise.
public enum FileSystem {
    /// Renames `from` to `to` and makes the rename durable by syncing the directory.
    public static func commitRename(from: String, to: String) throws(FerryCoreError) {
        guard rename(from, to) == 0 else { throw .io(operation: "rename to \(to)", path: from, errno: errno) }
        try syncDirectory(of: to)
    }

    /// fsyncs the directory holding `path`, so a rename or create in it survives a crash.
    public static func syncDirectory(of path: String) throws(FerryCoreError) {
        let dir = directoryName(path)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open directory", path: dir, errno: errno) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync directory", path: dir, errno: errno) }
    }

    /// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FerryCoreError) {
        let temp = temporaryName(for: path)
        do {
            let file = try PositionalFile(path: temp, flags: O_WRONLY | O_CREAT | O_EXCL, mode: mode)
            try file.write(bytes, at: 0)
            try file.sync()
            try file.close()
            try commitRename(from: temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// What is at a path without following a symbolic link.
    public enum Kind: Equatable, Sendable { case regular, directory, symbolicLink, other(String) }

    /// What is at `path` without following a symbolic link: nil when nothing is.
    public static func kind(atPath path: String) -> Kind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        case S_IFIFO: return .other("a FIFO")
        case S_IFCHR: return .other("a character device")
        case S_IFBLK: return .other("a block device")
        case S_IFSOCK: return .other("a socket")
        default: return .other("not a regular file")
        }
    }

    /// The names `temporaryName(for:)` gives for `path`: `.<base>.tmp-<pid>-<random>`.
    public static func temporaryNamePrefix(for path: String) -> String {
        ".\(path.split(separator: "/").last ?? "file").tmp-"
    }

    /// A unique hidden name next to `path` for staging its content.
    public static func temporaryName(for path: String) -> String {
        let dir = directoryName(path)
        return "\(dir)/\(temporaryNamePrefix(for: path))\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size of a regular file, or nil when it does not exist.
    public static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// Creates `path` and its parents (mode 0755) when missing.
    public static func makeDirectories(_ path: String) throws(FerryCoreError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/\(component)"
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io(operation: "mkdir", path: current, errno: errno)
            }
        }
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes a temporary directory tree ferry made for itself. Best effort by design: a
    /// leftover scratch directory under $TMPDIR is harmless, and failing to delete it must not
    /// turn a finished import or verify into a failure.
    public static func removeScratch(_ path: String) {
        ScratchRegistry.shared.forget(path)
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            return
        }
    }

    /// A new scratch path under `$TMPDIR` (`ferry-<purpose>.tmp-…`, not created yet), known to
    /// `removeAllScratch` until `removeScratch` removes it.
    public static func newScratch(_ purpose: String) -> String {
        let path = temporaryName(for: NSTemporaryDirectory() + "ferry-\(purpose)")
        ScratchRegistry.shared.remember(path)
        return path
    }

    /// Marks an existing scratch path (made elsewhere) for `removeAllScratch`.
    public static func rememberScratch(_ path: String) {
        ScratchRegistry.shared.remember(path)
    }

    /// Removes every scratch path still in use: for an interrupted process, which exits without
    /// running the `defer`s and `deinit`s that would remove them (issue 15, item 7: Ctrl-C during
    /// the import of a compressed bundle left its whole decompressed copy in `$TMPDIR`).
    public static func removeAllScratch() {
        // Best effort, like `removeScratch`: the process is on its way out either way.
        for path in ScratchRegistry.shared.all() { removeScratch(path) }
    }
}

/// The scratch paths of this process that are still in use.
private final class ScratchRegistry: @unchecked Sendable {
    static let shared = ScratchRegistry()
    private let mutex = Mutex()
    private var paths: Set<String> = []

    func remember(_ path: String) { mutex.withLock { _ = paths.insert(path) } }
    func forget(_ path: String) { mutex.withLock { _ = paths.remove(path) } }
    func all() -> [String] { mutex.withLock { Array(paths) } }
}
