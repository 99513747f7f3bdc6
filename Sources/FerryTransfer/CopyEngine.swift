public import FerryCore

/// Moves a plan's missing blobs from a source into a destination, `jobs` at a time.
///
/// Each distinct blob is transferred once (the plan is already deduplicated). The first
/// failure cancels the rest and is reported with every image that needed the blob.
public struct CopyEngine: Sendable {
    public let source: any ImageSource
    public let destination: any ImageDestination
    public let jobs: Int
    public let progress: ProgressHandler

    public init(source: any ImageSource, destination: any ImageDestination, jobs: Int, progress: @escaping ProgressHandler) {
        self.source = source
        self.destination = destination
        self.jobs = jobs
        self.progress = progress
    }

    /// Returns the number of blobs and bytes transferred.
    public func transfer(_ plan: CopyPlan, present: Set<Digest>) async throws -> (blobs: Int, bytes: Int64) {
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
        try await TaskWindow.run(missing, width: jobs, { blob in
            try await copy(blob, plan: plan)
            return blob
        }, collect: { blob in
            bytes += blob.descriptor.size
            for user in blob.users {
                outstanding[user] -= 1
                if outstanding[user] == 0 { progress(.imageCompleted(image: plan.images[user].name)) }
            }
        })
        return (missing.count, bytes)
    }

    private func copy(_ blob: CopyPlan.Blob, plan: CopyPlan) async throws {
        let descriptor = blob.descriptor
        progress(.blobStarted(descriptor.digest, size: descriptor.size))
        do {
            let session = try destination.target(for: blob)
            try await source.blob(plan.origin(of: blob), descriptor: descriptor, into: ProgressReportingTarget(session, progress: progress))
            try session.finish()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw FerryTransferError.blob(descriptor.digest, images: plan.users(of: blob), doing: "copying", underlying: error)
        }
        progress(.blobFinished(descriptor.digest, size: descriptor.size))
    }
}

/// Forwards writes to a session and reports byte counts.
final class ProgressReportingTarget: BlobSink, @unchecked Sendable {
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
