#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Why not Swift 6's `Synchronization.Mutex`: it needs macOS 15, and Package.swift still
// declares macOS 14; ferry's locks guard short sections on its own threads, where a pthread
// mutex is what `Synchronization.Mutex` wraps on Linux anyway.

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
