import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `--cert-dir` CA bundle as a file, for a libcurl older than 7.77 that has no
/// `CURLOPT_CAINFO_BLOB` (RHEL 9 ships 7.76.1; issue 14).
///
/// Each easy handle gets one fixed path inside a private directory (mode 0700, made once per
/// process, removed at exit). The file (0600) is written just before a transfer and removed just
/// after it, so the bundle sits on disk only while libcurl may read it. The path stays the same
/// for a handle because libcurl reuses a connection only when its TLS settings, the CA path
/// among them, are equal: a new name per request would cost a TLS handshake per request.
final class CurlCAFile {
    let path: String

    /// Reserves the path for one handle; nothing is written yet.
    init() throws(FerryHTTPError) {
        let directory = try PrivateDirectory.shared()
        path = "\(directory)/ca-\(PrivateDirectory.nextSerial()).pem"
    }

    /// Writes the bundle for one transfer; `remove()` must follow it.
    func write(_ bundle: [UInt8]) throws(FerryHTTPError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .setup("cannot write the CA bundle to \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bundle.count {
            let result = bundle.withUnsafeBytes { bytes in bytes.baseAddress.map { Glibc.write(fd, $0 + written, bundle.count - written) } ?? 0 }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw .setup("cannot write the CA bundle to \(path): \(reason)")
            }
            written += result
        }
    }

    /// Removes the bundle file after a transfer. A missing file is fine (nothing to remove).
    func remove() {
        unlink(path)
    }

    /// One 0700 directory per process under `$TMPDIR`, made on first use and removed by an
    /// `atexit` handler (files are removed after each transfer, so only the directory is left).
    private final class PrivateDirectory: @unchecked Sendable {
        private static let instance = PrivateDirectory()
        private let mutex = Mutex()
        private var directory: String?
        private var serial = 0

        static func shared() throws(FerryHTTPError) -> String {
            let made: Result<String, FerryHTTPError> = instance.mutex.withLock {
                if let directory = instance.directory { return .success(directory) }
                var base = NSTemporaryDirectory()
                while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
                var template = Array("\(base)/ferry-ca-XXXXXX".utf8CString)
                let result = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
                guard let result else {
                    return .failure(.setup("cannot make a private directory for the CA bundle in \(base): \(String(cString: strerror(errno)))"))
                }
                let directory = String(cString: result)
                instance.directory = directory
                FileSystem.rememberScratch(directory)
                atexit {
                    if let directory = PrivateDirectory.instance.mutex.withLock({ PrivateDirectory.instance.directory }) {
                        rmdir(directory)
                    }
                }
                return .success(directory)
            }
            return try made.get()
        }

        static func nextSerial() -> Int {
            instance.mutex.withLock {
                instance.serial += 1
                return instance.serial
            }
        }
    }
}
