// Minimal HTTP/1.1 plumbing shared by FaultProxy and RedirectTarget: blocking POSIX sockets,
// a buffered reader, request/response head parsing, body relaying (Content-Length, chunked,
// until-close), a small thread-per-connection server core and the forwarding routine.
// Test support only: simple and robust beats fast.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Errors

/// Thrown when a FaultProxy or RedirectTarget cannot be set up (bad address, bind failure).
public struct FaultProxyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: - Sockets

enum ProxySocket {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    /// Never let a write to a closed peer raise SIGPIPE and kill the test process.
    static let sendFlags = Int32(MSG_NOSIGNAL)
    static let tcpLevel = Int32(IPPROTO_TCP)
    #else
    static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0
    static let tcpLevel = IPPROTO_TCP
    #endif

    static func errnoMessage(_ what: String) -> String {
        "\(what): \(String(cString: strerror(errno)))"
    }

    /// Parses "127.0.0.1:5000" (an optional "http://" prefix and trailing path are ignored).
    static func parseHostPort(_ text: String) throws -> (host: String, port: UInt16) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"),
              let port = UInt16(rest[rest.index(after: colon)...]) else {
            throw FaultProxyError("expected HOST:PORT, got \"\(text)\"")
        }
        var host = String(rest[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        return (host, port)
    }

    static func address(host: String, port: UInt16) throws -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw FaultProxyError("not an IPv4 address: \"\(host)\"")
        }
        return addr
    }

    /// Binds `host:0` (SO_REUSEADDR) and listens; returns the socket and the port the kernel chose.
    static func makeListener(host: String) throws -> (fd: Int32, port: UInt16) {
        var addr = try address(host: host, port: 0)
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw FaultProxyError(errnoMessage("socket")) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let message = errnoMessage("bind \(host):0")
            close(fd)
            throw FaultProxyError(message)
        }
        guard listen(fd, 128) == 0 else {
            let message = errnoMessage("listen")
            close(fd)
            throw FaultProxyError(message)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let message = errnoMessage("getsockname")
            close(fd)
            throw FaultProxyError(message)
        }
        return (fd, UInt16(bigEndian: actual.sin_port))
    }

    static func connect(host: String, port: UInt16) throws -> Int32 {
        var addr = try address(host: host, port: port)
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw FaultProxyError(errnoMessage("socket")) }
        while true {
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    proxySystemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc == 0 { break }
            if errno == EINTR { continue }
            let message = errnoMessage("connect \(host):\(port)")
            close(fd)
            throw FaultProxyError(message)
        }
        configure(fd)
        return fd
    }

    static func configure(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, tcpLevel, TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        #if !canImport(Glibc)
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// SO_LINGER {on, 0}: the following close() sends RST instead of FIN.
    static func setAbortiveClose(_ fd: Int32) {
        var lingerOption = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerOption, socklen_t(MemoryLayout<linger>.size))
    }

    /// Bytes the kernel still holds for this socket (unsent or unacknowledged); nil if unknown.
    static func pendingOutput(_ fd: Int32) -> Int? {
        #if canImport(Glibc)
        var count: Int32 = 0
        let rc = ioctl(fd, UInt(TIOCOUTQ), &count)
        return rc == 0 ? Int(count) : nil
        #else
        return nil
        #endif
    }
}

// The module-level `connect` is shadowed inside `ProxySocket`; keep an unambiguous alias.
@inline(__always)
private func proxySystemConnect(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) -> Int32 {
    connect(fd, addr, len)
}

// MARK: - Buffered stream

/// A blocking socket with a read buffer. Confined to one connection thread.
final class ProxyStream {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private static let chunkSize = 64 * 1024

    init(fd: Int32) { self.fd = fd }

    private var buffered: Int { buffer.count - readIndex }

    /// Receives more bytes into the buffer; false on EOF or error.
    private func fill() -> Bool {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > Self.chunkSize {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        let oldCount = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.chunkSize))
        var received = 0
        while true {
            received = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + oldCount, Self.chunkSize, 0)
            }
            if received < 0 && errno == EINTR { continue }
            break
        }
        buffer.removeLast(Self.chunkSize - max(received, 0))
        return received > 0
    }

    /// One line without its CR LF (a bare LF is accepted too). nil on EOF or an over-long line.
    func readLine(limit: Int = 64 * 1024) -> String? {
        var scanFrom = readIndex
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > readIndex && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[readIndex..<end], as: UTF8.self)
                readIndex = newline + 1
                return line
            }
            if buffered > limit { return nil }
            let consumedBefore = readIndex
            scanFrom = buffer.count
            guard fill() else { return nil }
            // fill() may have compacted the buffer; keep the scan position relative to readIndex.
            scanFrom -= consumedBefore - readIndex
        }
    }

    /// Reads a request or response head (start line + header fields + empty line).
    func readHead() -> ProxyHTTPHead? {
        // A TLS ClientHello (record type 0x16) is not HTTP: give up at once, so a client that
        // probes for TLS first (as ferry does for loopback registries) sees the connection
        // close instead of waiting for a line that never comes.
        if buffered == 0 && !fill() { return nil }
        if buffered > 0 && buffer[readIndex] == 0x16 { return nil }
        var startLine = ""
        // Tolerate stray empty lines before the start line (RFC 9112 §2.2).
        repeat {
            guard let line = readLine() else { return nil }
            startLine = line
        } while startLine.isEmpty
        var headers: [(name: String, value: String)] = []
        var total = startLine.utf8.count
        while true {
            guard let line = readLine() else { return nil }
            if line.isEmpty { break }
            total += line.utf8.count
            if total > 256 * 1024 || headers.count > 500 { return nil }
            if (line.first == " " || line.first == "\t"), let last = headers.popLast() {
                // Obsolete line folding: append to the previous value.
                headers.append((last.name, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            headers.append((name, value))
        }
        return ProxyHTTPHead(startLine: startLine, headers: headers)
    }

    /// Up to `max` bytes (at least one), or nil on EOF / error.
    func readSome(max: Int) -> [UInt8]? {
        if buffered == 0 {
            // Read straight into a fresh array; no need to go through the buffer.
            let wanted = Swift.min(max, Self.chunkSize)
            var chunk = [UInt8](repeating: 0, count: wanted)
            var received = 0
            while true {
                received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, wanted, 0) }
                if received < 0 && errno == EINTR { continue }
                break
            }
            guard received > 0 else { return nil }
            chunk.removeLast(wanted - received)
            return chunk
        }
        let take = Swift.min(max, buffered)
        let out = Array(buffer[readIndex..<(readIndex + take)])
        readIndex += take
        return out
    }

    func write(_ bytes: [UInt8]) -> Bool { write(bytes[...]) }

    func write(_ string: String) -> Bool { write(Array(string.utf8)) }

    func write(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, ProxySocket.sendFlags)
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }
}

// MARK: - Heads

enum ProxyBodyFraming: Equatable {
    case none
    case length(Int)
    case chunked
    case untilClose
}

struct ProxyHTTPHead {
    var startLine: String
    var headers: [(name: String, value: String)]

    /// Method, request target and version of a request line.
    var requestLine: (method: String, target: String, version: String)? {
        let parts = startLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/") else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// Status code of a response status line.
    var statusCode: Int? {
        let parts = startLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else { return nil }
        return code
    }

    func value(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func values(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// Removes every field whose lowercased name is in `names`.
    mutating func remove(_ names: Set<String>) {
        headers.removeAll { names.contains($0.name.lowercased()) }
    }

    mutating func set(_ name: String, _ value: String) {
        remove([name.lowercased()])
        headers.append((name, value))
    }

    /// Removes hop-by-hop fields (RFC 9110 §7.6.1), including those named in `Connection`.
    /// Transfer-Encoding is kept: bodies are relayed with their framing intact.
    mutating func removeHopByHop() {
        var names: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "upgrade",
                                  "proxy-authorization", "proxy-authenticate"]
        for value in values("connection") {
            for token in value.split(separator: ",") {
                let name = token.trimmingCharacters(in: .whitespaces).lowercased()
                if !name.isEmpty && name != "transfer-encoding" { names.insert(name) }
            }
        }
        remove(names)
    }

    /// Field names lowercased; repeated fields joined with ", ".
    var lowercasedHeaderMap: [String: String] {
        var map: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = map[key] { map[key] = existing + ", " + value } else { map[key] = value }
        }
        return map
    }

    private var isChunked: Bool {
        values("transfer-encoding").contains { $0.lowercased().contains("chunked") }
    }

    private var contentLength: Int? {
        guard let text = value("content-length") else { return nil }
        // Repeated identical values ("5, 5") are tolerated.
        let first = text.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let length = Int(first), length >= 0 else { return nil }
        return length
    }

    var requestFraming: ProxyBodyFraming {
        if isChunked { return .chunked }
        if let length = contentLength { return length > 0 ? .length(length) : .none }
        return .none
    }

    func responseFraming(requestMethod: String) -> ProxyBodyFraming {
        let status = statusCode ?? 0
        if requestMethod.uppercased() == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
            return .none
        }
        if isChunked { return .chunked }
        if let length = contentLength { return length > 0 ? .length(length) : .none }
        return .untilClose
    }

    var expectsContinue: Bool {
        value("expect")?.lowercased().contains("100-continue") ?? false
    }

    func serialized() -> [UInt8] {
        var text = startLine + "\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}

// MARK: - Body relay

enum ProxyRelayOutcome: Equatable {
    case complete
    /// The source ended (EOF or error) before the framing said the body was complete.
    case sourceFailed
    /// The sink asked to stop.
    case sinkStopped
}

/// Relays one message body from `source`. The sink receives raw bytes and whether they are body
/// payload (true) or chunked framing (false); it returns false to stop. Chunked framing is passed on
/// unchanged, so the receiver sees exactly what the sender sent.
func proxyRelayBody(from source: ProxyStream, framing: ProxyBodyFraming,
                    sink: (_ bytes: [UInt8], _ isPayload: Bool) -> Bool) -> ProxyRelayOutcome {
    switch framing {
    case .none:
        return .complete
    case .length(let length):
        var remaining = length
        while remaining > 0 {
            guard let piece = source.readSome(max: remaining) else { return .sourceFailed }
            remaining -= piece.count
            guard sink(piece, true) else { return .sinkStopped }
        }
        return .complete
    case .untilClose:
        while let piece = source.readSome(max: 64 * 1024) {
            guard sink(piece, true) else { return .sinkStopped }
        }
        return .complete
    case .chunked:
        while true {
            guard let sizeLine = source.readLine() else { return .sourceFailed }
            guard sink(Array((sizeLine + "\r\n").utf8), false) else { return .sinkStopped }
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return .sourceFailed }
            if size == 0 {
                // Trailer section, ended by an empty line.
                while true {
                    guard let trailer = source.readLine() else { return .sourceFailed }
                    guard sink(Array((trailer + "\r\n").utf8), false) else { return .sinkStopped }
                    if trailer.isEmpty { return .complete }
                }
            }
            var remaining = size
            while remaining > 0 {
                guard let piece = source.readSome(max: remaining) else { return .sourceFailed }
                remaining -= piece.count
                guard sink(piece, true) else { return .sinkStopped }
            }
            guard source.readLine() != nil else { return .sourceFailed }
            guard sink(Array("\r\n".utf8), false) else { return .sinkStopped }
        }
    }
}

// MARK: - Server core

/// How a connection thread closes the client socket when its handler returns.
enum ProxyCloseMode {
    /// FIN, then read and discard what the client still sends (up to a second) before close(),
    /// so unread request bytes cannot turn the close into a RST that destroys the response.
    case graceful
    /// RST (SO_LINGER 0).
    case abortive
    /// Plain close().
    case plain
}

/// Listener thread + one thread per connection. Tracks every open socket so stop() can shut them
/// down (waking threads blocked in accept/recv/send) and waits for all threads to end.
final class ProxyServerCore: @unchecked Sendable {
    let host: String
    let port: UInt16
    private let listenFD: Int32
    private let name: String
    private let handler: @Sendable (ProxyServerCore, ProxyStream) -> ProxyCloseMode

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var stopped = false
    private var openFDs = Set<Int32>()
    private var liveThreads = 0

    init(host: String, name: String,
         handler: @escaping @Sendable (ProxyServerCore, ProxyStream) -> ProxyCloseMode) throws {
        let (fd, port) = try ProxySocket.makeListener(host: host)
        self.host = host
        self.port = port
        self.listenFD = fd
        self.name = name
        self.handler = handler
        liveThreads = 1
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "\(name).accept"
        thread.start()
    }

    var address: String { "\(host):\(port)" }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let code = errno
                if isStopped { break }
                if code == EINTR || code == ECONNABORTED { continue }
                usleep(10_000)  // e.g. EMFILE: back off instead of spinning
                continue
            }
            ProxySocket.configure(fd)
            condition.lock()
            if stopped {
                condition.unlock()
                close(fd)
                break
            }
            openFDs.insert(fd)
            liveThreads += 1
            condition.unlock()
            let thread = Thread { [self] in self.runConnection(fd) }
            thread.name = "\(name).connection"
            thread.start()
        }
        close(listenFD)
        threadEnded()
    }

    private func runConnection(_ fd: Int32) {
        let stream = ProxyStream(fd: fd)
        let mode = handler(self, stream)
        switch mode {
        case .plain:
            break
        case .abortive:
            ProxySocket.setAbortiveClose(fd)
        case .graceful:
            shutdown(fd, Int32(SHUT_WR))
            drainUntilEOF(fd, seconds: 1)
        }
        release(fd)
        threadEnded()
    }

    private func drainUntilEOF(_ fd: Int32, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        while !isStopped {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, min(left * 1000, 100))))
            if ready < 0 && errno != EINTR { return }
            if ready <= 0 { continue }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 || (n < 0 && errno != EINTR) { return }
        }
    }

    private func threadEnded() {
        condition.lock()
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Tracks an extra socket (e.g. the upstream connection) so stop() can shut it down.
    /// Returns false (and the caller must close it) if the server is stopping.
    func register(_ fd: Int32) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopped { return false }
        openFDs.insert(fd)
        return true
    }

    /// Untracks and closes a socket. Done under the lock so stop() never shuts down a reused fd.
    func release(_ fd: Int32) {
        condition.lock()
        openFDs.remove(fd)
        close(fd)
        condition.unlock()
    }

    /// Sleeps up to `seconds`, returning early (false) if the server is stopped.
    @discardableResult
    func sleep(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return !stopped
    }

    /// Waits (bounded) until the kernel has delivered everything written to `fd`, so a following
    /// RST does not discard bytes the test expects the client to have received.
    func waitForOutputDrain(_ fd: Int32, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !isStopped {
            guard let pending = ProxySocket.pendingOutput(fd) else {
                sleep(seconds: 0.05)
                return
            }
            if pending == 0 { return }
            usleep(2_000)
        }
    }

    /// Idempotent. Closes the listener, shuts down every open socket and waits (up to 10 s) for
    /// the accept thread and all connection threads to end. Must not be called from a handler.
    func stop() {
        condition.lock()
        if !stopped {
            stopped = true
            shutdown(listenFD, Int32(SHUT_RDWR))
            for fd in openFDs { shutdown(fd, Int32(SHUT_RDWR)) }
            condition.broadcast()
        }
        let deadline = Date().addingTimeInterval(10)
        while liveThreads > 0 {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }
}

// MARK: - Forwarding

/// What to do to the response body while relaying it to the client.
enum ProxyBodyFault {
    case none
    case reset(afterBytes: Int)
    case stall(afterBytes: Int, seconds: Double)
}

enum ProxyResponses {
    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }

    /// Sends a complete response that the proxy makes up itself (no body for HEAD requests).
    static func send(_ client: ProxyStream, status: Int, headers: [(String, String)] = [],
                     body: [UInt8] = [], contentType: String? = nil, isHeadRequest: Bool) {
        var head = ProxyHTTPHead(startLine: "HTTP/1.1 \(status) \(reason(status))", headers: [])
        for (name, value) in headers { head.headers.append((name, value)) }
        if let contentType { head.headers.append(("Content-Type", contentType)) }
        head.headers.append(("Content-Length", String(body.count)))
        head.headers.append(("Connection", "close"))
        var bytes = head.serialized()
        if !isHeadRequest { bytes += body }
        _ = client.write(bytes)
    }

    /// Reads and drops the request body, unless the client is waiting for `100 Continue` (then
    /// it has not sent the body, and a final response tells it not to).
    static func discardRequestBody(_ client: ProxyStream, request: ProxyHTTPHead) {
        if request.expectsContinue { return }
        _ = proxyRelayBody(from: client, framing: request.requestFraming) { _, _ in true }
    }
}

/// Forwards one request to `upstream` on a fresh connection (`Connection: close`) and relays the
/// response to the client, applying `bodyFault` to the response body.
///
/// `request` is the head as received from the client (its framing decides how the request body
/// is read); `upstreamHead` is what to send upstream (hop-by-hop fields and Expect are removed here).
func proxyForward(core: ProxyServerCore, client: ProxyStream, request: ProxyHTTPHead,
                  upstreamHead: ProxyHTTPHead, upstreamHost: String, upstreamPort: UInt16,
                  bodyFault: ProxyBodyFault) -> ProxyCloseMode {
    let method = request.requestLine?.method ?? "GET"
    let isHead = method.uppercased() == "HEAD"
    let requestFraming = request.requestFraming

    let upstreamFD: Int32
    do {
        upstreamFD = try ProxySocket.connect(host: upstreamHost, port: upstreamPort)
    } catch {
        ProxyResponses.discardRequestBody(client, request: request)
        ProxyResponses.send(client, status: 502, body: Array("proxy: \(error)\n".utf8),
                            contentType: "text/plain", isHeadRequest: isHead)
        return .graceful
    }
    guard core.register(upstreamFD) else {
        close(upstreamFD)
        return .plain
    }
    defer { core.release(upstreamFD) }
    let upstream = ProxyStream(fd: upstreamFD)

    var head = upstreamHead
    head.removeHopByHop()
    head.remove(["expect"])
    head.set("Connection", "close")

    if request.expectsContinue && requestFraming != .none {
        guard client.write("HTTP/1.1 100 Continue\r\n\r\n") else { return .plain }
    }
    var upstreamWritable = upstream.write(head.serialized())
    if requestFraming != .none {
        let outcome = proxyRelayBody(from: client, framing: requestFraming) { bytes, _ in
            if upstreamWritable { upstreamWritable = upstream.write(bytes) }
            return true  // keep reading the client even if upstream went away
        }
        if outcome != .complete { return .plain }  // client vanished mid-upload
    }

    // Upstream response head; skip interim 1xx responses.
    var response: ProxyHTTPHead
    while true {
        guard let next = upstream.readHead(), let status = next.statusCode else {
            ProxyResponses.send(client, status: 502, body: Array("proxy: no response from upstream\n".utf8),
                                contentType: "text/plain", isHeadRequest: isHead)
            return .graceful
        }
        response = next
        if status >= 200 || status == 101 { break }
    }

    let framing = response.responseFraming(requestMethod: method)
    var clientHead = response
    clientHead.removeHopByHop()
    clientHead.set("Connection", "close")
    guard client.write(clientHead.serialized()) else { return .plain }
    if framing == .none { return .graceful }

    let limit: Int?
    switch bodyFault {
    case .none: limit = nil
    case .reset(let bytes), .stall(let bytes, _): limit = max(0, bytes)
    }

    var triggered = limit == 0
    if !triggered {
        var sent = 0
        let outcome = proxyRelayBody(from: upstream, framing: framing) { bytes, isPayload in
            guard let limit, isPayload else { return client.write(bytes) }
            let room = limit - sent
            if bytes.count >= room {
                _ = client.write(bytes.prefix(room))
                sent = limit
                triggered = true
                return false
            }
            sent += bytes.count
            return client.write(bytes)
        }
        if !triggered {
            switch outcome {
            case .complete: return .graceful
            case .sourceFailed: return .abortive  // upstream broke mid-body: don't fake a clean end
            case .sinkStopped: return .plain      // client went away
            }
        }
    }

    switch bodyFault {
    case .none:
        return .graceful
    case .reset:
        core.waitForOutputDrain(client.fd, seconds: 2)
        return .abortive
    case .stall(_, let seconds):
        core.sleep(seconds: seconds)
        return .plain
    }
}
