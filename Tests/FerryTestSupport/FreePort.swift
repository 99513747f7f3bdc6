import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free TCP ports on 127.0.0.1, found by binding port 0 and closing the socket again. Another
/// process may take the port before the caller binds it: callers retry on "address in use".
public enum FreePort {
    public static func allocate() throws -> UInt16 {
        let fd = LoopbackSocket.tcp()
        guard fd >= 0 else { throw TestSupportError("socket(): \(LoopbackSocket.lastError)") }
        defer { close(fd) }
        var addr = LoopbackSocket.loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError("bind(127.0.0.1:0): \(LoopbackSocket.lastError)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw TestSupportError("getsockname(): \(LoopbackSocket.lastError)") }
        return UInt16(bigEndian: addr.sin_port)
    }
}

/// Minimal BSD-socket helpers shared by FreePort and LoopbackHTTP.
enum LoopbackSocket {
    static func tcp() -> Int32 {
        #if os(Linux)
        return socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        return socket(AF_INET, SOCK_STREAM, 0)
        #endif
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return addr
    }

    static var lastError: String { String(cString: strerror(errno)) }
}
