#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a lock file, taken without waiting, for "one writer per output".
///
/// Two exports to one output used to run side by side: the second deleted the partial file the
/// first was writing, and the first then published the second's unfinished bundle (issue 15,
/// item 6). A writer now holds this lock from planning to publishing. `flock(2)` locks belong to
/// the open file, so a killed ferry never leaves a stale lock: only the lock file, which the
/// next run takes over and removes.
///
/// The file is removed on release, so a waiter could lock a name that is already unlinked
/// while a newcomer creates a new one; `acquire` therefore checks, after locking, that the path
/// still names the file it locked, and tries again if not.
public final class FileLock: @unchecked Sendable {
    public let path: String
    private let mutex = Mutex()
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Takes the lock, or returns nil when another process holds it.
    public static func acquire(_ path: String) throws(FerryCoreError) -> FileLock? {
        for _ in 0..<100 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw .io(operation: "open lock file", path: path, errno: errno) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK { return nil }
                throw .io(operation: "lock", path: path, errno: code)
            }
            var locked = stat(), named = stat()
            if fstat(fd, &locked) == 0, stat(path, &named) == 0, locked.st_dev == named.st_dev, locked.st_ino == named.st_ino {
                return FileLock(path: path, fd: fd)
            }
            close(fd)
        }
        throw .io(operation: "lock (the lock file keeps being replaced)", path: path, errno: EAGAIN)
    }

    /// Removes the lock file, then lets go of the lock (in that order, see the type's comment).
    /// Idempotent.
    public func release() {
        mutex.withLock {
            guard fd >= 0 else { return }
            unlink(path)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
