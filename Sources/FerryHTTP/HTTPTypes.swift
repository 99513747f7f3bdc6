public import FerryCore

/// HTTP methods ferry uses.
public enum HTTPMethod: String, Sendable {
    case get = "GET", head = "HEAD", put = "PUT", post = "POST", patch = "PATCH", delete = "DELETE"
}

/// Response or request headers: ordered, multi-valued, looked up case-insensitively.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field called `name`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    public subscript(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

/// TLS settings for one request.
public struct TLSOptions: Sendable, Hashable {
    /// Verify the peer's certificate and host name.
    public var verify: Bool
    /// PEM certificates of trusted CAs that replace the system bundle (ferry builds them from
    /// the system bundle plus `--cert-dir`), or nil for the system bundle. Kept in memory and
    /// handed to libcurl as a blob, so no temporary file is ever left behind.
    public var caBundlePEM: [UInt8]?

    public init(verify: Bool = true, caBundlePEM: [UInt8]? = nil) {
        self.verify = verify
        self.caBundlePEM = caBundlePEM
    }
}

/// The body of a request: bytes in memory, or a byte range of a file read as it is sent
/// (optionally passing every byte read to an observer, which is how uploads are re-hashed).
public enum HTTPBody: Sendable {
    case bytes([UInt8])
    case file(PositionalFile, offset: Int64, length: Int64, observer: (any HTTPBodyObserver)? = nil)
    /// Exactly `length` bytes produced while the request is sent (registry-to-registry copies:
    /// a download feeding an upload). It can be sent once: never rewound, never re-sent.
    case stream(any HTTPBodyStream, length: Int64)

    /// True for `.bytes`: a small body built in memory (manifests, token forms).
    public var isInMemory: Bool {
        if case .bytes = self { return true }
        return false
    }

    public var length: Int64 {
        switch self {
        case .bytes(let bytes): return Int64(bytes.count)
        case .file(_, _, let length, _): return length
        case .stream(_, let length): return length
        }
    }
}

/// The producer behind `HTTPBody.stream`. `read` runs on the transfer's own thread and may
/// block until bytes arrive (never on Swift's cooperative pool: transfers run on
/// `CurlWorkerPool` threads); it returns 0 only at the end and throws when the producer failed.
public protocol HTTPBodyStream: AnyObject, Sendable {
    /// Called when a transfer starts sending the body; throws when it was sent before (a
    /// stream cannot be replayed, so a retried request must fail rather than send other bytes).
    func claim() throws
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Sees the bytes of a request body as libcurl reads them (on the transfer thread).
/// `rewind()` is called when libcurl has to send the body again from the start.
public protocol HTTPBodyObserver: AnyObject, Sendable {
    func observe(_ buffer: UnsafeRawBufferPointer) throws
    func rewind()
}

/// One HTTP request. Redirects are followed by `HTTPClient` itself, never by libcurl, so the
/// rule "no Authorization header to another origin" is enforced in one visible place.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: HTTPBody?
    public var tls: TLSOptions
    /// Follow 301/302/303/307/308 (GET and HEAD only).
    public var followRedirects: Bool
    /// Limit for the whole request, or nil for none (transfers are bounded by the low-speed
    /// limit instead, since a large blob may legitimately take hours).
    public var timeoutMilliseconds: Int?

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = HTTPHeaders(), body: HTTPBody? = nil,
                tls: TLSOptions = TLSOptions(), followRedirects: Bool = true, timeoutMilliseconds: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.tls = tls
        self.followRedirects = followRedirects
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// Status and headers of the final response.
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The URL that answered (after redirects). Unredacted: never log it, use `redactedURL`.
    public var url: String

    public var redactedURL: String { URLRedaction.redact(url) }
}

/// A complete response. `body` holds the collected bytes when the caller asked to collect
/// them, or the (capped) error body when a streaming sink declined the response.
public struct HTTPResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]

    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }
}

/// Receives a response body as it arrives, on the transfer thread. Throwing aborts the
/// transfer and the error is rethrown to the caller unchanged.
public protocol HTTPBodySink: AnyObject {
    func write(_ buffer: UnsafeRawBufferPointer) throws
}

/// Decides, once the final response's head is known, where its body goes: a sink, or nil to
/// collect it (capped) into `HTTPResponse.body` (for error responses).
public typealias HTTPSinkFactory = @Sendable (HTTPResponseHead) throws -> (any HTTPBodySink)?

/// Removes user info and query strings from URLs before they appear in logs or errors.
public enum URLRedaction {
    public static func redact(_ url: String) -> String {
        var text = Substring(url)
        if let q = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<q] }
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                text = text[..<scheme.upperBound] + rest[rest.index(after: at)...]
            }
        }
        return String(text) + (text.count < url.count && url.contains("?") ? "?…" : "")
    }
}
