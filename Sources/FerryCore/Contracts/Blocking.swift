import Dispatch

/// Runs blocking work (file I/O, hashing large files, libarchive) on threads of our own, not on
/// Swift's cooperative pool, whose few threads must never block.
package enum Blocking {
    private static let queue = DispatchQueue(label: "ferry.blocking", attributes: .concurrent)

    package static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
