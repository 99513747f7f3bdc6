import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HummingbirdCore's HTTP/1.1 child channel with a `RegionSplicer` above the response encoder,
/// so that blob bodies can go out with `sendfile`. Everything else (parsing, keep-alive, idle
/// timeout, graceful shutdown) is `HTTP1Channel`'s own.
struct SplicingHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let encoder = try channel.pipeline.syncOperations.handler(type: HTTPResponseEncoder.self)
            try channel.pipeline.syncOperations.addHandler(RegionSplicer(), position: .after(encoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
