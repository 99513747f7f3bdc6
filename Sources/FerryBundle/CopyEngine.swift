import FerryCore
import FerryRegistry

/// Moves a plan's missing blobs from a source into a destination, `jobs` at a time.
///
/// Each distinct blob is transferred once (the plan is already deduplicated). The first
/// failure cancels the rest and is reported with every image that needed the blob.
struct CopyEngine: Sendable {
    let source: any ImageSource
    let destination: any ImageDestination
    let jobs: Int
    let progress: ProgressHandler

    /// Returns the number of blobs and bytes transferred.
    func transfer(_ plan: CopyPlan, present: Set<Digest>) async throws -> (blobs: Int, bytes: Int64) {
        let missing = plan.blobs.filter { !present.contains($0.descriptor.digest) }
        progress(.planned(blobs: plan.blobs.count, bytes: plan.uniqueBytes, toTransfer: missing.count,
                          toTransferBytes: missing.reduce(0) { $0 + $1.descriptor.size }))
        // Images complete when their last missing blob lands.
        var outstanding = [Int](repeating: 0, count: plan.images.count)
        for blob in missing { for user in blob.users { outstanding[user] += 1 } }
        for (index, count) in outstanding.enumerated() where count == 0 {
            progress(.imageCompleted(image: plan.images[index].name))
        }
        var bytes: Int64 = 0
        try await withThrowingTaskGroup(of: CopyPlan.Blob.self) { group in
            var next = missing.makeIterator()
            func startNext() -> Bool {
                guard let blob = next.next() else { return false }
                group.addTask {
                    _ = try await copy(blob, plan: plan)
                    return blob
                }
                return true
            }
            for _ in 0..<max(1, jobs) where !startNext() { break }
            while let blob = try await group.next() {
                bytes += blob.descriptor.size
                for user in blob.users {
                    outstanding[user] -= 1
                    if outstanding[user] == 0 { progress(.imageCompleted(image: plan.images[user].name)) }
                }
                _ = startNext()
            }
        }
        return (missing.count, bytes)
    }

    private func copy(_ blob: CopyPlan.Blob, plan: CopyPlan) async throws -> Int64 {
        let descriptor = blob.descriptor
        progress(.blobStarted(descriptor.digest, size: descriptor.size))
        do {
            let session = try destination.target(for: blob)
            try await source.blob(blob.origin, descriptor: descriptor, into: ProgressReportingTarget(session, progress: progress))
            try session.finish()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw FerryBundleError.blob(descriptor.digest, images: plan.users(of: blob), doing: "copying", underlying: error)
        }
        progress(.blobFinished(descriptor.digest, size: descriptor.size))
        return descriptor.size
    }
}

/// Forwards writes to a session and reports byte counts.
final class ProgressReportingTarget: BlobDownloadTarget, @unchecked Sendable {
    let session: any BlobWriteSession
    let progress: ProgressHandler

    init(_ session: any BlobWriteSession, progress: @escaping ProgressHandler) {
        self.session = session
        self.progress = progress
    }

    var received: Int64 { session.received }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        try session.write(buffer)
        progress(.bytes(Int64(buffer.count)))
    }

    func restart() throws {
        let lost = session.received
        try session.restart()
        progress(.bytes(-lost))
    }
}
