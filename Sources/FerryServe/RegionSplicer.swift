import NIOCore
import NIOHTTP1

/// Puts file regions (`sendfile`) where a response's body would be, under NIOHTTP1's encoder.
///
/// Why: HummingbirdCore's body writer takes `ByteBuffer`s only, so a blob sent through it is
/// read into memory and copied twice per byte (file to buffer, buffer to socket); with 16
/// pulls on two cores those copies took the CPU the clients needed. Below HummingbirdCore's
/// HTTP-types conversion the pipeline carries NIOHTTP1's parts, whose bodies may be
/// `FileRegion`s that SwiftNIO sends with `sendfile(2)`: the kernel hands page-cache pages to
/// the socket and the server touches no byte. This handler sits there, right above the encoder.
///
/// How a response uses it: `expect(_:sent:)` on the event loop, then an empty body part
/// through HummingbirdCore's writer. The handler writes the regions where that empty part was,
/// so they keep their place after the head and before the end, and completes `sent` when the
/// socket has taken them. ferry writes no other empty body part, so the marker cannot be
/// mistaken. HTTP framing stays NIOHTTP1's: the response carries its Content-Length.
///
/// Not for TLS connections: their bytes must pass through the TLS handler to be encrypted.
final class RegionSplicer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Regions waiting for their empty body part, in the order their responses wrote them.
    private var expected: [(regions: [FileRegion], sent: EventLoopPromise<Void>)] = []

    /// The next empty body part not yet claimed is to be replaced by `regions`. `sent` succeeds
    /// when the socket has taken all of them, and fails when a write fails or the connection
    /// closes first. A response may expect its next segment before the last one's part has
    /// passed: they are matched in order.
    func expect(_ regions: [FileRegion], sent: EventLoopPromise<Void>) {
        expected.append((regions, sent))
    }

    /// Drops every region expected, failing their promises with `error` (a response that could
    /// not write its marker: the connection is done for).
    func cancel(_ error: any Error) {
        let dropped = expected
        expected = []
        for expectation in dropped { expectation.sent.fail(error) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !expected.isEmpty, case .body(.byteBuffer(let marker)) = unwrapOutboundIn(data), marker.readableBytes == 0 else {
            context.write(data, promise: promise)
            return
        }
        let expectation = expected.removeFirst()
        let writes = expectation.regions.map { region in
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
            return written.futureResult
        }
        // Every write settled, then the first failure if any: the caller closes the regions'
        // descriptors when this completes, so none may still be in use.
        let all = EventLoopFuture.whenAllComplete(writes, on: context.eventLoop).flatMapThrowing { results in
            for result in results { try result.get() }
        }
        all.cascade(to: expectation.sent)
        all.cascade(to: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel(ChannelError.ioOnClosedChannel)
    }
}
