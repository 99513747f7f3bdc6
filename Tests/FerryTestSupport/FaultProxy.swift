// An in-process HTTP/1.1 proxy that sits between ferry's HTTP client and a real registry on
// loopback and injects faults (error statuses, connection resets, stalls, ignored Range headers,
// redirects to another host), so tests can prove retries, resume and redirect handling work.
//
// Each client connection carries one request: the proxy answers with `Connection: close`.
// Every request goes upstream on a fresh connection, also with `Connection: close`.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fault the proxy injects into a matching request.
public enum ProxyFault: Sendable, Equatable, CustomStringConvertible {
    /// Answer with this status (e.g. 500, 502, 503, or 429 with `Retry-After`) and a small
    /// registry-style JSON error body; the request is not forwarded.
    case status(Int, retryAfterSeconds: Int? = nil)
    /// Forward, but after N bytes of the response body reset the client connection (RST).
    /// The proxy waits (up to 2 s) until the client's kernel has acknowledged those N bytes.
    /// A response with no body, or a body of at most N bytes, passes through unharmed.
    case resetAfterBodyBytes(Int)
    /// Forward N bytes of the response body, send nothing for `seconds`, then close (FIN).
    /// (A response without a body, such as a 201 to an upload, is not held by this.)
    case stallAfterBodyBytes(Int, seconds: Double)
    /// Read nothing more of the request and answer nothing for `seconds`, then close: a hung
    /// upload (the client's body stops at the socket buffers) or a server that never answers.
    case hold(seconds: Double)
    /// Strip `Range` and `If-Range` before forwarding, so upstream answers 200 with the full body.
    case ignoreRange
    /// Forward a request that has a `Range` as `Range: bytes=0-`, so upstream answers 206 with
    /// a `Content-Range` that starts at 0, not where the client asked (a lying server or cache).
    case rangeFromZero
    /// Answer `307 Temporary Redirect` to the proxy's RedirectTarget (another loopback host),
    /// with a query string that looks like a signed URL. Without a RedirectTarget: 502.
    case redirectToTarget

    public var description: String {
        switch self {
        case .status(let code, let retryAfter):
            if let retryAfter { return "status(\(code), retryAfter: \(retryAfter))" }
            return "status(\(code))"
        case .resetAfterBodyBytes(let bytes): return "resetAfterBodyBytes(\(bytes))"
        case .stallAfterBodyBytes(let bytes, let seconds): return "stallAfterBodyBytes(\(bytes), seconds: \(seconds))"
        case .hold(let seconds): return "hold(seconds: \(seconds))"
        case .ignoreRange: return "ignoreRange"
        case .rangeFromZero: return "rangeFromZero"
        case .redirectToTarget: return "redirectToTarget"
        }
    }
}

/// Which requests get a fault, and how many times.
public struct ProxyRule: Sendable, Equatable {
    /// HTTP method to match (case-insensitive); nil matches any.
    public var method: String?
    /// Substring of the request target (path and query); "" matches every request.
    public var pathContains: String
    public var fault: ProxyFault
    /// Apply to the first `times` matching requests, then let them pass (Int.max = always).
    public var times: Int

    public init(method: String? = nil, pathContains: String, fault: ProxyFault, times: Int = 1) {
        self.method = method
        self.pathContains = pathContains
        self.fault = fault
        self.times = times
    }
}

/// A request seen by a FaultProxy or a RedirectTarget.
public struct RecordedRequest: Sendable, Equatable, CustomStringConvertible {
    public let method: String
    /// Request target: path with query.
    public let target: String
    /// Header field names lowercased; repeated fields joined with ", ".
    public let headers: [String: String]
    /// `ProxyFault.description` of the fault applied, or nil if the request passed through.
    public let appliedFault: String?

    public init(method: String, target: String, headers: [String: String], appliedFault: String?) {
        self.method = method
        self.target = target
        self.headers = headers
        self.appliedFault = appliedFault
    }

    public var description: String {
        "\(method) \(target)" + (appliedFault.map { " [\($0)]" } ?? "")
    }
}

/// Rules with their remaining counts and the request log, behind a lock.
final class FaultProxyState: @unchecked Sendable {
    private let lock = NSLock()
    private var rules: [(rule: ProxyRule, remaining: Int)] = []
    private var recorded: [RecordedRequest] = []

    init(rules: [ProxyRule]) { setRules(rules) }

    func setRules(_ newRules: [ProxyRule]) {
        lock.lock()
        rules = newRules.map { ($0, max(0, $0.times)) }
        lock.unlock()
    }

    /// Picks the first rule that matches and still has uses left, consumes one use and records
    /// the request with it.
    func decide(method: String, target: String, headers: [String: String]) -> ProxyFault? {
        lock.lock()
        defer { lock.unlock() }
        var fault: ProxyFault?
        for index in rules.indices {
            let rule = rules[index].rule
            guard rules[index].remaining > 0 else { continue }
            if let wanted = rule.method, wanted.uppercased() != method.uppercased() { continue }
            if !rule.pathContains.isEmpty && !target.contains(rule.pathContains) { continue }
            // Range faults are about resumed downloads: they wait for a request with a Range.
            if rule.fault == .ignoreRange || rule.fault == .rangeFromZero, headers["range"] == nil { continue }
            if rules[index].remaining != Int.max { rules[index].remaining -= 1 }
            fault = rule.fault
            break
        }
        recorded.append(RecordedRequest(method: method, target: target, headers: headers,
                                        appliedFault: fault?.description))
        return fault
    }

    func record(_ request: RecordedRequest) {
        lock.lock()
        recorded.append(request)
        lock.unlock()
    }

    func requests() -> [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func clearRequests() {
        lock.lock()
        recorded.removeAll()
        lock.unlock()
    }
}

/// Turns an absolute-form request target ("http://host/path") into origin form ("/path").
func proxyOriginForm(_ target: String) -> String {
    for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
        let afterScheme = target.dropFirst(scheme.count)
        guard let slash = afterScheme.firstIndex(of: "/") else { return "/" }
        return String(afterScheme[slash...])
    }
    return target
}

public final class FaultProxy: Sendable {
    /// "HOST:PORT" the proxy listens on.
    public let address: String
    /// "HOST:PORT" of the upstream registry.
    public let upstream: String
    private let core: ProxyServerCore
    private let state: FaultProxyState

    /// Starts listening on `listenHost` with a kernel-chosen port.
    /// - Parameters:
    ///   - upstream: "127.0.0.1:PORT" of the real registry.
    ///   - redirectTarget: where `.redirectToTarget` sends clients.
    public init(upstream: String, listenHost: String = "127.0.0.1", rules: [ProxyRule] = [],
                redirectTarget: RedirectTarget? = nil) throws {
        let (upstreamHost, upstreamPort) = try ProxySocket.parseHostPort(upstream)
        let state = FaultProxyState(rules: rules)
        let redirectBase = redirectTarget.map { "http://\($0.address)" }
        self.state = state
        self.upstream = "\(upstreamHost):\(upstreamPort)"
        self.core = try ProxyServerCore(host: listenHost, name: "FaultProxy") { core, client in
            FaultProxy.handle(core: core, client: client, state: state, upstreamHost: upstreamHost,
                              upstreamPort: upstreamPort, redirectBase: redirectBase)
        }
        self.address = core.address
    }

    deinit { core.stop() }

    /// The query appended to `.redirectToTarget` locations. It looks like a signed URL's, so tests
    /// can check that it never shows up in logs.
    public static let redirectQuery = "X-Amz-Signature=secretsig123&X-Amz-Expires=300"

    /// Base URL of the proxy, "http://HOST:PORT".
    public var url: String { "http://\(address)" }

    /// Every request seen so far, in arrival order.
    public func requests() -> [RecordedRequest] { state.requests() }

    /// Forgets the recorded requests.
    public func clearRequests() { state.clearRequests() }

    /// Replaces the rules; their `times` counts start afresh.
    public func setRules(_ rules: [ProxyRule]) { state.setRules(rules) }

    /// Idempotent: closes the listener and all connections and waits for their threads to end.
    public func stop() { core.stop() }

    private static func handle(core: ProxyServerCore, client: ProxyStream, state: FaultProxyState,
                               upstreamHost: String, upstreamPort: UInt16,
                               redirectBase: String?) -> ProxyCloseMode {
        guard let request = client.readHead() else { return .plain }
        guard let line = request.requestLine else {
            ProxyResponses.send(client, status: 400, body: Array("proxy: bad request line\n".utf8),
                                contentType: "text/plain", isHeadRequest: false)
            return .graceful
        }
        let method = line.method
        let target = proxyOriginForm(line.target)
        let isHead = method.uppercased() == "HEAD"
        let fault = state.decide(method: method, target: target, headers: request.lowercasedHeaderMap)

        var upstreamHead = request
        upstreamHead.startLine = "\(method) \(target) HTTP/1.1"
        var bodyFault = ProxyBodyFault.none

        switch fault {
        case .none:
            break
        case .status(let code, let retryAfter)?:
            ProxyResponses.discardRequestBody(client, request: request)
            var headers: [(String, String)] = [("Docker-Distribution-Api-Version", "registry/2.0")]
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            let errorCode: String
            switch code {
            case 429: errorCode = "TOOMANYREQUESTS"
            case 401: errorCode = "UNAUTHORIZED"
            case 403: errorCode = "DENIED"
            case 503: errorCode = "UNAVAILABLE"
            default: errorCode = "UNKNOWN"
            }
            let body = #"{"errors":[{"code":"\#(errorCode)","message":"fault injected by FaultProxy (status \#(code))","detail":null}]}"# + "\n"
            ProxyResponses.send(client, status: code, headers: headers, body: Array(body.utf8),
                                contentType: "application/json; charset=utf-8", isHeadRequest: isHead)
            return .graceful
        case .redirectToTarget?:
            ProxyResponses.discardRequestBody(client, request: request)
            guard let redirectBase else {
                ProxyResponses.send(client, status: 502,
                                    body: Array("proxy: redirectToTarget without a RedirectTarget\n".utf8),
                                    contentType: "text/plain", isHeadRequest: isHead)
                return .graceful
            }
            let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map(String.init) ?? "/"
            ProxyResponses.send(client, status: 307,
                                headers: [("Location", "\(redirectBase)\(path)?\(FaultProxy.redirectQuery)")],
                                isHeadRequest: isHead)
            return .graceful
        case .hold(let seconds)?:
            Thread.sleep(forTimeInterval: seconds)
            return .graceful
        case .ignoreRange?:
            upstreamHead.remove(["range", "if-range"])
        case .rangeFromZero?:
            upstreamHead.remove(["if-range"])
            upstreamHead.set("Range", "bytes=0-")
        case .resetAfterBodyBytes(let bytes)?:
            bodyFault = .reset(afterBytes: bytes)
        case .stallAfterBodyBytes(let bytes, let seconds)?:
            bodyFault = .stall(afterBytes: bytes, seconds: seconds)
        }

        return proxyForward(core: core, client: client, request: request, upstreamHead: upstreamHead,
                            upstreamHost: upstreamHost, upstreamPort: upstreamPort, bodyFault: bodyFault)
    }
}
