import FerryCore
import HTTPTypes
import HummingbirdCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Carries out `ServeAnswer` over HTTP: the answer is decided without a socket; this sends it.
///
/// Bundle bytes are sent only after `BlobVerdicts` has proven the whole blob they belong to
/// intact; a damaged blob is answered with 500 and an OCI error, never with its bytes.
///
/// A blob goes out `segmentSize` bytes at a time. A segment whose pages are all in the page
/// cache (as a blob just checked is) goes to the kernel with `sendfile` through the
/// connection's `RegionSplicer`: no byte passes through ferry's memory, and one wake-up sends
/// megabytes where the copy took several per chunk. A segment that is not (a bundle larger than
/// memory, on a slow disk), and every segment on TLS, is read with `pread` on threads of our own
/// in chunks of `chunkSize`, one chunk in flight per response, so the event loops never wait
/// for the disk and memory stays at a chunk or two per connection whatever the blob's size.
struct BundleResponder: Sendable {
    let bundles: ServedBundles
    let verdicts: BlobVerdicts
    /// Who may pull (`--htpasswd`), or nil for anyone.
    let credentials: PullCredentials?
    let events: @Sendable (ServeEvent) -> Void
    /// Whether connections carry a `RegionSplicer` (plain HTTP; TLS must encrypt every byte).
    var splices: Bool
    var chunkSize = 256 << 10
    var segmentSize: Int64 = 16 << 20

    /// The response to `request`, which came in on `channel`.
    func respond(to request: Request, channel: any Channel) async -> Response {
        let started = ContinuousClock.now
        let asked = ServeAnswer.Request(method: request.method.rawValue, path: request.uri.path,
                                        query: Self.query(request.uri), range: request.headers[.range])
        var answer: ServeAnswer
        var note: String?
        if let credentials, case .refused(let reason) = await credentials.check(authorization: request.headers[.authorization]) {
            answer = ServeAnswer.failure(401, "UNAUTHORIZED", "authentication required")
            answer.headers.append(ServeAnswer.Header(name: "WWW-Authenticate", value: #"Basic realm="ferry serve""#))
            note = reason
        } else {
            do {
                answer = try ServeAnswer.answer(asked, catalog: bundles.catalog)
            } catch {
                answer = ServeAnswer.failure(500, "UNKNOWN", "cannot encode the answer: \(error)")
            }
        }
        if case .blob(let digest, _, _, _) = answer.body, case .damaged(let reason) = await verdicts.verdict(digest) {
            answer = ServeAnswer.failure(500, "DIGEST_INVALID", "the served bundle's copy of \(digest) is damaged (\(reason)); ferry serve does not send it. Fetch the bundle again, or ferry verify it to see every damaged blob")
        }
        if asked.method == "HEAD", case .bytes = answer.body { answer.body = .none }
        let record = Record(method: asked.method, target: request.uri.string, status: answer.status, remote: Self.describe(channel.remoteAddress),
                            started: started, events: events)
        var headers = HTTPFields()
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let status = HTTPResponse.Status(code: answer.status)
        switch answer.body {
        case .none:
            record.finish(bytes: 0, note: note)
            return Response(status: status, headers: headers, body: ResponseBody())
        case .bytes(let bytes):
            record.finish(bytes: Int64(bytes.count), note: note)
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .blob(_, let number, let offset, let count):
            let file = bundles.bundles[number].file
            let (chunkSize, segmentSize, splices) = (self.chunkSize, self.segmentSize, self.splices)
            let body = ResponseBody(contentLength: Int(count)) { writer in
                var sent: Int64 = 0
                // The segment handed to the kernel and not yet taken by the socket: the next one
                // is queued behind it before it is awaited, so the socket never runs dry while a
                // segment is prepared (two segments in flight cost two descriptors, no memory).
                var inFlight: Splice?
                func settle() async throws {
                    guard let previous = inFlight else { return }
                    inFlight = nil
                    try await previous.finish()
                    sent += previous.length
                }
                do {
                    var position: Int64 = 0
                    while position < count {
                        let length = min(segmentSize, count - position)
                        if splices, let regions = try await Self.cachedRegions(file, from: offset + position, length: length) {
                            let next = try await Splice.start(regions, into: &writer, channel: channel)
                            do {
                                try await settle()
                            } catch {
                                await next.abandon()
                                throw error
                            }
                            inFlight = next
                        } else {
                            try await settle()
                            try await Self.copy(file, from: offset + position, length: length, chunkSize: chunkSize, into: &writer, channel: channel)
                            sent += length
                        }
                        position += length
                    }
                    try await settle()
                    try await writer.finish(nil)
                } catch {
                    // The connection is lost; the first error is the one reported, and a segment
                    // still queued is waited for only so that its descriptors close.
                    await inFlight?.abandon()
                    record.finish(bytes: sent, note: "cut off: \(error)")
                    throw error
                }
                record.finish(bytes: sent)
            }
            return Response(status: status, headers: headers, body: body)
        }
    }

    /// Sends `[offset, offset + length)` by reading it, `chunkSize` bytes at a time, on threads
    /// of our own: for TLS connections, and for ranges not (all) in the page cache.
    private static func copy(_ file: PositionalFile, from offset: Int64, length: Int64, chunkSize: Int,
                             into writer: inout any ResponseBodyWriter, channel: any Channel) async throws {
        var done: Int64 = 0
        while done < length {
            let chunk = try await Self.read(file, count: Int(min(Int64(chunkSize), length - done)), at: offset + done)
            try await writer.write(chunk)
            // Backpressure: the writer hands each chunk to the event loop as a task and returns
            // at once, learning that the socket is full only when the loop has run that task. A
            // reader faster than the loop (pread from the page cache is) would queue the whole
            // blob there: 16 pulls of a 150 MB blob held 350 MB of chunks. Waiting for the loop
            // to run a task queued after the write keeps one or two chunks in flight per response.
            try await channel.eventLoop.submit {}.get()
            done += Int64(chunk.readableBytes)
        }
    }

    /// File regions over `[offset, offset + length)` when every page of it is in the page cache
    /// (so `sendfile` on the event loop will not wait for the disk), or nil when it must be read.
    /// Each region has a duplicate descriptor of its own: a `NIOFileHandle` closes what it holds
    /// and refuses a second use at the same time, and two event loops may send one bundle at
    /// once. No descriptor to spare (EMFILE) also answers nil: the range is read instead.
    private static func cachedRegions(_ file: PositionalFile, from offset: Int64, length: Int64) async throws -> [FileRegion]? {
        try await Blocking.run {
            guard let extents = file.cachedExtents(from: offset, length: length) else { return nil }
            var regions: [FileRegion] = []
            for extent in extents {
                let descriptor = dup(extent.descriptor)
                guard descriptor >= 0 else {
                    try Splice.close(regions)
                    return nil
                }
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
                regions.append(FileRegion(fileHandle: handle, readerIndex: Int(extent.offset), endIndex: Int(extent.offset + extent.length)))
            }
            return regions
        }
    }

    /// `count` bytes at `offset`, read off the cooperative pool; a short read is an error (the
    /// verdict said the blob was whole, so the file changed under the server).
    private static func read(_ file: PositionalFile, count: Int, at offset: Int64) async throws -> ByteBuffer {
        try await Blocking.run {
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: space[0..<count]), at: offset)
            }
            guard read == count else {
                throw FerryServeError.changed(path: file.path, offset: offset, expected: count, read: read)
            }
            return buffer
        }
    }

    /// `host:port` of a peer, for the access log.
    private static func describe(_ address: SocketAddress?) -> String? {
        address.map { address in
            guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
            return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
    }

    /// The query parameters, first of each name.
    private static func query(_ uri: URI) -> [String: String] {
        var query: [String: String] = [:]
        for (name, value) in uri.queryParameters where query[String(name)] == nil {
            query[String(name)] = String(value)
        }
        return query
    }

    /// The access-log line of one request, sent once when its answer ends.
    private final class Record: Sendable {
        let method: String
        let target: String
        let status: Int
        let remote: String?
        let started: ContinuousClock.Instant
        let events: @Sendable (ServeEvent) -> Void

        init(method: String, target: String, status: Int, remote: String?, started: ContinuousClock.Instant,
             events: @escaping @Sendable (ServeEvent) -> Void) {
            (self.method, self.target, self.status, self.remote, self.started, self.events) = (method, target, status, remote, started, events)
        }

        func finish(bytes: Int64, note: String? = nil) {
            let elapsed = ContinuousClock.now - started
            let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            events(.access(AccessRecord(method: method, target: target, status: status, bytes: bytes, milliseconds: milliseconds,
                                        remote: remote, note: note)))
        }
    }
}
