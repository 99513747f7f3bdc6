import CFerrySystem
import Foundation
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

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
    /// Bytes an ordinary user can still write on the file system holding `path` (or, when it
    /// does not exist yet, its nearest existing parent); nil when the system cannot say.
    public static func availableBytes(near path: String) -> Int64? {
        var candidate = path.isEmpty ? "." : path
        while !exists(candidate) {
            let parent = directoryName(candidate)
            if parent == candidate { break }
            candidate = parent
        }
        var info = statvfs()
        guard statvfs(candidate, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

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

    /// A name a bundle may give a file that ferry writes into a directory (`ferry extract`):
    /// one path component, not `.` or `..`, no NUL, at most 255 bytes, so it stays inside.
    public static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0") && name.utf8.count <= 255
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

    /// Stops tracking a scratch path that became the real thing (renamed into place).
    public static func forgetScratch(_ path: String) {
        ScratchRegistry.shared.forget(path)
    }

    /// Gives the owner write and search rights on every directory under `path`, so a tree
    /// whose modes came from a bundle (a read-only directory) can be removed.
    public static func makeRemovable(_ path: String) {
        guard isDirectory(path) else { return }
        chmod(path, 0o700)
        let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for child in children { makeRemovable(path + "/" + child) }
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
