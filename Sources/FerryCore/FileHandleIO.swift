import CFerrySystem
import Foundation
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// An open file descriptor with positional reads and writes.
///
/// `pread`/`pwrite` at explicit offsets are safe to issue from several threads at once as long
/// as the byte ranges do not overlap; the bundle writer relies on this to fill blob slots of one
/// output file in parallel. The descriptor is immutable after `init`, hence `@unchecked Sendable`.
public final class PositionalFile: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let closed = Flag()

    /// Opens `path` with `open(2)` flags; `mode` applies when the file is created.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(FerryCoreError) {
        self.path = path
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        self.fd = fd
    }

    deinit {
        if !closed.isSet { _ = Glibc.close(fd) }
    }

    /// Writes all of `buffer` at `offset`.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(FerryCoreError) {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            done += n
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
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FerryCoreError) -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            return n
        }
    }

    /// Reserves `size` bytes of disk for the file (contiguous extents where the file system can),
    /// so parallel writes at scattered offsets do not fragment it and a full disk is found
    /// before the first download rather than in the middle. Falls back to `truncate` on file
    /// systems without `fallocate` (tmpfs before 3.5, some network file systems).
    public func preallocate(_ size: Int64) throws(FerryCoreError) {
        let result = posix_fallocate(fd, 0, off_t(size))
        if result == 0 { return }
        if result == EOPNOTSUPP || result == EINVAL || result == ENOSYS {
            try truncate(to: size)
            return
        }
        throw .io(operation: "allocate \(size) bytes for", path: path, errno: result)
    }

    /// Starts writing a range back to disk without waiting for it, so the final `sync()` has
    /// little left to do. Advisory: errors surface at `sync()`.
    public func startWriteback(offset: Int64, length: Int64) {
        _ = ferry_start_writeback(fd, offset, length)
    }

    /// Sets the file's length (sparse when growing).
    public func truncate(to size: Int64) throws(FerryCoreError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw .io(operation: "truncate", path: path, errno: errno) }
    }

    /// The current length of the file.
    public func size() throws(FerryCoreError) -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(operation: "stat", path: path, errno: errno) }
        return Int64(st.st_size)
    }

    /// Flushes data and metadata to stable storage.
    public func sync() throws(FerryCoreError) {
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    public func close() throws(FerryCoreError) {
        guard closed.set() else { return }
        guard Glibc.close(fd) == 0 else { throw .io(operation: "close", path: path, errno: errno) }
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

    /// A unique hidden name next to `path` for staging its content.
    public static func temporaryName(for path: String) -> String {
        let dir = directoryName(path)
        let base = String(path.split(separator: "/").last ?? "file")
        return "\(dir)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
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
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            return
        }
    }
}
