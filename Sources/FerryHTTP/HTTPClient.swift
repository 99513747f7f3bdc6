import FerryCore
import Foundation

/// Settings shared by every request of one client.
public struct HTTPConfiguration: Sendable {
    /// Upper bound on transfers running at the same time (one worker thread each).
    public var maximumConcurrentTransfers: Int
    public var connectTimeoutMilliseconds: Int
    /// A transfer slower than this many bytes/s for `lowSpeedTimeSeconds` is aborted and
    /// retried: blobs may take hours, but not at a trickle (issue 15, item 5: at the old 1 byte/s
    /// a slow drip was never cut). `--min-rate`.
    public var lowSpeedLimitBytesPerSecond: Int
    public var lowSpeedTimeSeconds: Int
    /// The whole-request deadline of a request whose body, if any, is in memory (manifests,
    /// tokens, tag lists, HEADs, upload sessions): such a request is small, so a deadline is
    /// what stops a server that sends it a byte at a time. Blob transfers (`.file` and
    /// `.stream` bodies, streamed responses) are bounded by the low-speed limit instead.
    /// `--request-timeout`.
    public var requestTimeoutMilliseconds: Int
    public var maximumRedirects: Int
    public var userAgent: String
    /// Shared bandwidth limit for all transfers (`--limit-rate`), or nil for none.
    public var rateLimiter: RateLimiter?

    public init(maximumConcurrentTransfers: Int = 8, connectTimeoutMilliseconds: Int = 15_000,
                lowSpeedLimitBytesPerSecond: Int = 10 * 1024, lowSpeedTimeSeconds: Int = 60,
                requestTimeoutMilliseconds: Int = 60_000, maximumRedirects: Int = 5, userAgent: String = "ferry") {
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maximumConcurrentTransfers = maximumConcurrentTransfers
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.lowSpeedLimitBytesPerSecond = lowSpeedLimitBytesPerSecond
        self.lowSpeedTimeSeconds = lowSpeedTimeSeconds
        self.maximumRedirects = maximumRedirects
        self.userAgent = userAgent
    }
}

/// ferry's HTTP transport: libcurl on dedicated threads, bridged to async/await.
///
/// Redirects are handled here rather than by libcurl: a redirect to another origin (scheme,
/// host or port differ) loses the `Authorization` header, so registry credentials never reach
/// a CDN or object store. Cancelling the calling task aborts the transfer at libcurl's next
/// progress callback.
public final class HTTPClient: Sendable {
    public let configuration: HTTPConfiguration
    private let pool: CurlWorkerPool

    public init(configuration: HTTPConfiguration = HTTPConfiguration()) {
        self.configuration = configuration
        pool = CurlWorkerPool(maximumWorkers: configuration.maximumConcurrentTransfers)
    }

    /// Sends `request` and collects the body, failing when it exceeds `maximumBodySize`.
    /// A request with no body or an in-memory one gets the configuration's whole-request
    /// deadline unless it sets its own.
    public func send(_ request: HTTPRequest, maximumBodySize: Int = 1 << 20) async throws -> HTTPResponse {
        var request = request
        if request.timeoutMilliseconds == nil, request.body?.isInMemory ?? true {
            request.timeoutMilliseconds = configuration.requestTimeoutMilliseconds
        }
        return try await sendFollowingRedirects(request, sinkFactory: nil, collectLimit: maximumBodySize)
    }

    /// Sends `request` and streams the body of the final response into the sink the factory
    /// returns for it; a factory returning nil collects up to 64 KiB (an error body) instead.
    public func stream(_ request: HTTPRequest, sinkFactory: @escaping HTTPSinkFactory) async throws -> HTTPResponse {
        try await sendFollowingRedirects(request, sinkFactory: sinkFactory, collectLimit: 64 * 1024)
    }

    private func sendFollowingRedirects(_ original: HTTPRequest, sinkFactory: HTTPSinkFactory?, collectLimit: Int) async throws -> HTTPResponse {
        var request = original
        for _ in 0...configuration.maximumRedirects {
            try Self.validate(request.url)
            let redirectable = request.followRedirects && (request.method == .get || request.method == .head)
            // Redirect responses are read with no sink so their bodies are not mistaken for content.
            let factory: HTTPSinkFactory? = sinkFactory.map { factory in
                { @Sendable head in
                    if redirectable && Self.isRedirect(head.status) { return nil }
                    return try factory(head)
                }
            }
            let response = try await perform(request, sinkFactory: factory, collectLimit: collectLimit)
            guard redirectable, Self.isRedirect(response.status), let location = response.headers["Location"] else {
                return response
            }
            guard let next = URL(string: location, relativeTo: URL(string: request.url))?.absoluteString else {
                throw FerryHTTPError.invalidURL(URLRedaction.redact(location))
            }
            if !Self.sameOrigin(request.url, next) {
                request.headers.remove("Authorization")
            }
            request.url = next
        }
        throw FerryHTTPError.tooManyRedirects(url: URLRedaction.redact(original.url))
    }

    private func perform(_ request: HTTPRequest, sinkFactory: HTTPSinkFactory?, collectLimit: Int) async throws -> HTTPResponse {
        let flag = CancellationFlag()
        let configuration = self.configuration
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                pool.submit { handle in
                    do {
                        let easy = try handle.get()
                        let response = try easy.perform(request, configuration: configuration, sinkFactory: sinkFactory,
                                                        collectLimit: collectLimit, cancelled: flag)
                        continuation.resume(returning: response)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    static func isRedirect(_ status: Int) -> Bool { [301, 302, 303, 307, 308].contains(status) }

    /// Scheme, host and port equal (RFC 6454 origin).
    public static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let ua = URLComponents(string: a), let ub = URLComponents(string: b) else { return false }
        func port(_ c: URLComponents) -> Int? { c.port ?? (c.scheme?.lowercased() == "https" ? 443 : 80) }
        return ua.scheme?.lowercased() == ub.scheme?.lowercased()
            && ua.host?.lowercased() == ub.host?.lowercased()
            && port(ua) == port(ub)
    }

    static func validate(_ url: String) throws(FerryHTTPError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URLComponents(string: url)?.host != nil else {
            throw .invalidURL(URLRedaction.redact(url))
        }
    }
}
