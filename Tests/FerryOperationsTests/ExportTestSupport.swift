import FerryCore
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import Foundation

enum ExportFixtures {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func client(_ registry: TestRegistry? = nil, retry: RetryPolicy = RetryPolicy(maximumAttempts: 6, baseDelay: 0.05, maximumDelay: 2)) -> RegistryClient {
        let credential = registry?.auth.user.map { Credential(username: $0, password: registry?.auth.password ?? "") }
        return RegistryClient(http: HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 10)),
                              configuration: RegistryConfiguration(certDirectory: registry?.certDirectory, retry: retry),
                              credentials: StaticCredentials(credential))
    }

    static func export(_ references: [String], from client: RegistryClient, to output: ExportOptions.Output,
                       platforms: [String] = [], jobs: Int = 4, source: (any ImageSource)? = nil,
                       events: EventLog? = nil) async throws -> ExportReport {
        let exporter = Exporter(source: source ?? RegistrySource(client: client), progress: { event in events?.append(event) })
        return try await exporter.run(ExportOptions(references: try references.map { try ImageReference(parsing: $0) },
                                                    output: output, platforms: try platforms.map { try Platform(parsing: $0) },
                                                    jobs: jobs))
    }
}

/// Records progress events for assertions.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ProgressEvent] = []
    func append(_ event: ProgressEvent) { lock.withLock { events.append(event) } }
    var warnings: [String] {
        lock.withLock { events.compactMap { if case .warning(let text) = $0 { return text } else { return nil } } }
    }
}

/// An image source that fails after a number of blob downloads, like a killed process.
struct FailingSource: ImageSource {
    let inner: any ImageSource
    let budget: Budget

    final class Budget: @unchecked Sendable {
        private let lock = NSLock()
        private var remaining: Int
        init(_ remaining: Int) { self.remaining = remaining }
        func take() -> Bool { lock.withLock { remaining -= 1; return remaining >= 0 } }
    }

    func manifest(_ reference: ImageReference) async throws -> FetchedManifest { try await inner.manifest(reference) }

    func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws {
        // Configs are fetched while resolving; only layers count against the budget.
        if descriptor.mediaType.rawValue.contains("layer") || descriptor.mediaType.rawValue.contains("rootfs") {
            guard budget.take() else { throw InspectionError("simulated crash") }
        }
        try await inner.blob(reference, descriptor: descriptor, into: target)
    }
}
