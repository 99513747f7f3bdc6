import FerryCore
import FerryHTTP
import FerryRegistry
import FerryTestSupport
import Foundation

/// Collects a blob in memory for tests, with the same restart semantics as real targets.
final class CollectingTarget: BlobSink, @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private(set) var restarts = 0

    var received: Int64 { lock.withLock { Int64(bytes.count) } }
    var data: [UInt8] { lock.withLock { bytes } }

    func write(_ buffer: UnsafeRawBufferPointer) throws { lock.withLock { bytes.append(contentsOf: buffer) } }
    func restart() throws { lock.withLock { bytes.removeAll(); restarts += 1 } }
}

enum TestClients {
    /// A client for a test registry, with its credentials and CA.
    static func client(for registry: TestRegistry, credentials: Credential?? = .none, certDirectory: String? = nil,
                       tlsVerify: Bool = true, retry: RetryPolicy = RetryPolicy(maximumAttempts: 5, baseDelay: 0.05, maximumDelay: 2),
                       lowSpeedTime: Int = 60) -> RegistryClient {
        let credential: Credential?
        switch credentials {
        case .none: credential = registry.auth.user.map { Credential(username: $0, password: registry.auth.password ?? "") }
        case .some(let explicit): credential = explicit
        }
        let http = HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 8, lowSpeedTimeSeconds: lowSpeedTime))
        return RegistryClient(http: http,
                              configuration: RegistryConfiguration(tlsVerify: tlsVerify,
                                                                   certDirectory: certDirectory ?? registry.certDirectory,
                                                                   retry: retry),
                              credentials: StaticCredentials(credential))
    }
}
