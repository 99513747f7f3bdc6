// The other end of FaultProxy's `.redirectToTarget`: a server on another loopback host (by
// default 127.0.0.2, so a client sees a different host and must drop its Authorization header)
// that plays the role of a blob CDN / signed-URL store.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves what FaultProxy redirects to. It records the request headers it receives (tests assert
/// that no Authorization header arrived), forwards the request path (without the query) to the
/// upstream registry with its own credentials (Basic, if given) and the client's other end-to-end
/// headers (notably `Range` / `If-Range`), and relays the response: status, headers, body.
public final class RedirectTarget: Sendable {
    /// "HOST:PORT" this server listens on.
    public let address: String
    private let core: ProxyServerCore
    private let state: FaultProxyState

    public init(listenHost: String = "127.0.0.2", upstream: String,
                upstreamBasicAuth: (user: String, password: String)? = nil) throws {
        let (upstreamHost, upstreamPort) = try ProxySocket.parseHostPort(upstream)
        let authorization = upstreamBasicAuth.map {
            "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString()
        }
        let state = FaultProxyState(rules: [])
        self.state = state
        self.core = try ProxyServerCore(host: listenHost, name: "RedirectTarget") { core, client in
            RedirectTarget.handle(core: core, client: client, state: state, upstreamHost: upstreamHost,
                                  upstreamPort: upstreamPort, authorization: authorization)
        }
        self.address = core.address
    }

    deinit { core.stop() }

    /// Base URL, "http://HOST:PORT".
    public var url: String { "http://\(address)" }

    /// Every request received, with the headers exactly as the client sent them (names lowercased).
    public func requests() -> [RecordedRequest] { state.requests() }

    public func clearRequests() { state.clearRequests() }

    /// Idempotent: closes the listener and all connections and waits for their threads to end.
    public func stop() { core.stop() }

    private static func handle(core: ProxyServerCore, client: ProxyStream, state: FaultProxyState,
                               upstreamHost: String, upstreamPort: UInt16,
                               authorization: String?) -> ProxyCloseMode {
        guard let request = client.readHead() else { return .plain }
        guard let line = request.requestLine else {
            ProxyResponses.send(client, status: 400, body: Array("redirect target: bad request line\n".utf8),
                                contentType: "text/plain", isHeadRequest: false)
            return .graceful
        }
        let target = proxyOriginForm(line.target)
        state.record(RecordedRequest(method: line.method, target: target,
                                     headers: request.lowercasedHeaderMap, appliedFault: nil))

        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            .first.map(String.init) ?? "/"
        var upstreamHead = request
        upstreamHead.startLine = "\(line.method) \(path) HTTP/1.1"
        upstreamHead.remove(["host", "authorization", "cookie"])
        upstreamHead.set("Host", "\(upstreamHost):\(upstreamPort)")
        if let authorization { upstreamHead.set("Authorization", authorization) }

        return proxyForward(core: core, client: client, request: request, upstreamHead: upstreamHead,
                            upstreamHost: upstreamHost, upstreamPort: upstreamPort, bodyFault: .none)
    }
}
