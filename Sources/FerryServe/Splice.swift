import HummingbirdCore
import NIOCore

/// One segment of a blob handed to the kernel (`sendfile`) through the connection's
/// `RegionSplicer`: its regions, each on a duplicate descriptor that this closes once the socket
/// has taken the bytes or the connection has failed.
struct Splice: Sendable {
    let regions: [FileRegion]
    /// Completes when the socket has taken every region (or a write failed).
    let sent: EventLoopFuture<Void>

    /// The bytes in the segment.
    var length: Int64 { regions.reduce(0) { $0 + Int64($1.endIndex - $1.readerIndex) } }

    /// Queues `regions` on `channel` after what the response has written so far: the splicer
    /// is told to expect them, then the empty body part it replaces goes through `writer`.
    /// The descriptors are closed here when the queueing fails.
    static func start(_ regions: [FileRegion], into writer: inout any ResponseBodyWriter, channel: any Channel) async throws -> Splice {
        let sent: EventLoopFuture<Void>
        do {
            sent = try await channel.eventLoop.submit {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                try channel.pipeline.syncOperations.handler(type: RegionSplicer.self).expect(regions, sent: promise)
                return promise.futureResult
            }.get()
        } catch {
            try close(regions)
            throw error
        }
        do {
            try await writer.write(ByteBuffer())  // the marker the splicer replaces
        } catch {
            // The splicer may still hold the regions: drop them (a connection that closed has
            // dropped them already) and wait for that before their descriptors close.
            channel.eventLoop.execute {
                if let splicer = try? channel.pipeline.syncOperations.handler(type: RegionSplicer.self) { splicer.cancel(error) }
            }
            await Splice(regions: regions, sent: sent).abandon()
            throw error
        }
        return Splice(regions: regions, sent: sent)
    }

    /// Waits until the socket has taken the segment, then closes its descriptors; throws the
    /// write's failure, or else the first close's.
    func finish() async throws {
        let outcome: Result<Void, any Error>
        do {
            try await sent.get()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try Self.close(regions)
        try outcome.get()
    }

    /// For a response that has already failed: waits until the segment is settled either way,
    /// then closes its descriptors. Its own errors are not reported; the response's first
    /// error is.
    func abandon() async {
        do { try await finish() } catch {}
    }

    /// Closes the regions' descriptors (every one, reporting the first failure).
    static func close(_ regions: [FileRegion]) throws {
        var failure: (any Error)?
        for region in regions {
            do { try region.fileHandle.close() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}
