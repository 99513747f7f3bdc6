import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One bandwidth budget shared by every transfer of a client (`--limit-rate`): a token bucket
/// refilled at `bytesPerSecond`, holding at most one second of traffic. A transfer that has
/// used the budget up waits on its own worker thread (never on Swift's cooperative pool), so
/// the sum of all parallel transfers stays near the limit rather than each one reaching it.
public final class RateLimiter: @unchecked Sendable {
    public let bytesPerSecond: Int64
    private let mutex = Mutex()
    private var tokens: Double
    private var last: TimeInterval

    public init(bytesPerSecond: Int64) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        tokens = Double(self.bytesPerSecond)
        last = ProcessInfo.processInfo.systemUptime
    }

    /// Takes `count` bytes from the budget, sleeping until they are available.
    public func consume(_ count: Int) {
        let wait: Double = mutex.withLock {
            let now = ProcessInfo.processInfo.systemUptime
            tokens = min(Double(bytesPerSecond), tokens + (now - last) * Double(bytesPerSecond))
            last = now
            tokens -= Double(count)
            return tokens < 0 ? -tokens / Double(bytesPerSecond) : 0
        }
        if wait > 0 { usleep(useconds_t(min(wait, 10) * 1_000_000)) }
    }
}
