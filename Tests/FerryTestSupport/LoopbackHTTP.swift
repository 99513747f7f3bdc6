public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny blocking HTTP/1.0 client for plain-HTTP servers on 127.0.0.1 (readiness probes, the
/// token server's /stats). Not for TLS, not for large bodies.
public enum LoopbackHTTP {
    public struct Response: Sendable {
        public let status: Int
        /// Header names lowercased.
        public let headers: [String: String]
        public let body: Data
    }

    /// True when something accepts TCP connections on 127.0.0.1:port.
    public static func canConnect(port: UInt16) -> Bool {
        guard let fd = try? connected(port: port, timeout: 1) else { return false }
        close(fd)
        return true
    }

    /// GET http://127.0.0.1:port/path with `Connection: close`, reading until EOF.
    public static func get(port: UInt16, path: String, headers: [String: String] = [:],
                           timeout: TimeInterval = 5) throws -> Response {
        try request("GET", port: port, path: path, headers: headers, timeout: timeout)
    }

    /// One bodiless request (GET, HEAD, DELETE) over HTTP/1.0.
    public static func request(_ method: String, port: UInt16, path: String, headers: [String: String] = [:],
                               timeout: TimeInterval = 5) throws -> Response {
        let fd = try connected(port: port, timeout: timeout)
        defer { close(fd) }
        var request = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestSupportError("send to port \(port): \(LoopbackSocket.lastError)") }
            sent += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw TestSupportError("recv from port \(port): \(LoopbackSocket.lastError)") }
            received.append(contentsOf: buffer[0..<n])
            if received.count > 16 << 20 { throw TestSupportError("response too large") }
        }
        return try parse(received, port: port)
    }

    private static func parse(_ data: Data, port: UInt16) throws -> Response {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else {
            throw TestSupportError("incomplete HTTP response from port \(port)")
        }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestSupportError("bad HTTP status line from port \(port): \(head.prefix(80))")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        return Response(status: status, headers: headers, body: Data(data[end.upperBound...]))
    }

    private static func connected(port: UInt16, timeout: TimeInterval) throws -> Int32 {
        let fd = LoopbackSocket.tcp()
        guard fd >= 0 else { throw TestSupportError("socket(): \(LoopbackSocket.lastError)") }
        var tv = timeval()
        tv.tv_sec = .init(timeout.rounded(.down))
        tv.tv_usec = .init((timeout - timeout.rounded(.down)) * 1e6)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = LoopbackSocket.loopback(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let message = LoopbackSocket.lastError
            close(fd)
            throw TestSupportError("connect to 127.0.0.1:\(port): \(message)")
        }
        return fd
    }
}
