import CCurl
import FerryCore
import Foundation

/// Owns one libcurl easy handle. Reused across transfers on one worker thread, so connections
/// (and TLS sessions) are kept alive between requests. Not `Sendable`: confined to its thread.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    /// Where this handle puts a `--cert-dir` CA bundle when libcurl has no CAINFO_BLOB (< 7.77).
    private var caFile: CurlCAFile?

    init() throws(FerryHTTPError) {
        CurlGlobal.initialize()
        guard let handle = curl_easy_init() else { throw .setup("curl_easy_init failed") }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Runs one request to completion on the calling thread (which must not be a Swift
    /// concurrency thread: this blocks). Returns the head and collected body.
    func perform(_ request: HTTPRequest, configuration: HTTPConfiguration, sinkFactory: HTTPSinkFactory?,
                 collectLimit: Int, cancelled: CancellationFlag) throws -> HTTPResponse {
        curl_easy_reset(handle)
        let context = CurlTransferContext(url: request.url, body: request.body, sinkFactory: sinkFactory,
                                          collectLimit: collectLimit, cancelled: cancelled)
        context.rateLimiter = configuration.rateLimiter
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        let user = unmanaged.toOpaque()

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // No "Expect: 100-continue" round trip; the registry answers early errors anyway.
        headerList = curl_slist_append(headerList, "Expect:")

        var caFileInUse: CurlCAFile?
        defer { caFileInUse?.remove() }
        try errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            errorPointer[0] = 0
            try set(CURLOPT_URL, request.url)
            try set(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorPointer.baseAddress))
            try set(CURLOPT_NOSIGNAL, 1)
            try restrictProtocols()
            try set(CURLOPT_FOLLOWLOCATION, 0)
            try set(CURLOPT_ACCEPT_ENCODING, nil as String?)
            try set(CURLOPT_CONNECTTIMEOUT_MS, min(configuration.connectTimeoutMilliseconds, request.timeoutMilliseconds ?? Int.max))
            if let timeout = request.timeoutMilliseconds { try set(CURLOPT_TIMEOUT_MS, timeout) }
            try set(CURLOPT_LOW_SPEED_LIMIT, configuration.lowSpeedLimitBytesPerSecond)
            try set(CURLOPT_LOW_SPEED_TIME, configuration.lowSpeedTimeSeconds)
            try set(CURLOPT_USERAGENT, configuration.userAgent)
            try set(CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1 : 0)
            try set(CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2 : 0)
            if let bundle = request.tls.caBundlePEM {
                caFileInUse = try setCABundle(bundle)
            }
            try check(ferry_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
            try check(ferry_curl_setopt_write(handle, curlWriteCallback))
            try check(ferry_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, user))
            try check(ferry_curl_setopt_header(handle, curlHeaderCallback))
            try check(ferry_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, user))
            try check(ferry_curl_setopt_xferinfo(handle, curlProgressCallback))
            try check(ferry_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, user))
            try set(CURLOPT_NOPROGRESS, 0)
            try set(CURLOPT_BUFFERSIZE, 256 * 1024)

            switch request.method {
            case .get:
                try set(CURLOPT_HTTPGET, 1)
            case .head:
                try set(CURLOPT_NOBODY, 1)
            case .delete:
                try set(CURLOPT_CUSTOMREQUEST, "DELETE")
            case .put, .post, .patch:
                // UPLOAD sends the body from the read callback with a Content-Length;
                // CUSTOMREQUEST picks the verb.
                try set(CURLOPT_UPLOAD, 1)
                // 1 MiB reads instead of libcurl's 64 KiB: 16× fewer read callbacks (each one a
                // pread, a hash update and a progress event) for the gigabytes an import sends.
                try set(CURLOPT_UPLOAD_BUFFERSIZE, 1 << 20)
                try check(ferry_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body?.length ?? 0)))
                try check(ferry_curl_setopt_read(handle, curlReadCallback))
                try check(ferry_curl_setopt_pointer(handle, CURLOPT_READDATA, user))
                try check(ferry_curl_setopt_seek(handle, curlSeekCallback))
                try check(ferry_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, user))
                try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }

            let code = curl_easy_perform(handle)
            if let stored = context.storedError { throw stored }
            if code == CURLE_ABORTED_BY_CALLBACK && cancelled.isCancelled { throw CancellationError() }
            guard code == CURLE_OK else {
                let detail = errorPointer.baseAddress.map { String(cString: $0) } ?? ""
                let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
                throw FerryHTTPError.transport(code: Int32(code.rawValue), message: Self.redactMessage(message, url: request.url),
                                               url: URLRedaction.redact(request.url))
            }
        }
        // A body-less response (HEAD, 204) never reached the write callback: let the factory see it.
        if !context.sinkDecided, let sinkFactory, context.status >= 200, context.status < 300 {
            _ = try sinkFactory(context.head)
        }
        return HTTPResponse(head: context.head, body: context.collected)
    }

    /// curl's messages can contain the URL; keep only the redacted form.
    private static func redactMessage(_ message: String, url: String) -> String {
        message.replacingOccurrences(of: url, with: URLRedaction.redact(url))
    }

    /// Limits libcurl to http and https, for the request and for any redirect it might follow
    /// (ferry follows redirects itself, so this is the second lock on the door). The string
    /// options exist since libcurl 7.85; older ones (RHEL 9's 7.76.1, Ubuntu 22.04's 7.81) answer
    /// CURLE_UNKNOWN_OPTION, and get the bitmask options with the same two protocols instead.
    private func restrictProtocols() throws(FerryHTTPError) {
        let pairs = [(CURLOPT_PROTOCOLS_STR, CURLOPT_PROTOCOLS), (CURLOPT_REDIR_PROTOCOLS_STR, CURLOPT_REDIR_PROTOCOLS)]
        for (named, bitmask) in pairs {
            let code = "http,https".withCString { ferry_curl_setopt_string(handle, named, $0) }
            if Self.isMissingOption(code) {
                try set(bitmask, ferry_curlproto_http_https)
            } else {
                try check(code)
            }
        }
    }

    /// Hands libcurl the `--cert-dir` CA bundle: from memory where libcurl has CAINFO_BLOB
    /// (7.77+), else through this handle's `CurlCAFile`, which the caller removes after the
    /// transfer. Returns that file, or nil when the bundle went in from memory.
    private func setCABundle(_ bundle: [UInt8]) throws(FerryHTTPError) -> CurlCAFile? {
        let code = bundle.withUnsafeBytes { ferry_curl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) }
        guard Self.isMissingOption(code) else {
            try check(code)
            return nil
        }
        let file: CurlCAFile
        if let existing = caFile {
            file = existing
        } else {
            file = try CurlCAFile()
            caFile = file
        }
        try file.write(bundle)
        try set(CURLOPT_CAINFO, file.path)
        return file
    }

    /// libcurl's answers for an option it was built without or does not know yet.
    private static func isMissingOption(_ code: CURLcode) -> Bool {
        code == CURLE_UNKNOWN_OPTION || code == CURLE_NOT_BUILT_IN
    }

    private func set(_ option: CURLoption, _ value: Int) throws(FerryHTTPError) {
        try check(ferry_curl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String?) throws(FerryHTTPError) {
        // libcurl copies string options (since 7.17), so the temporary C string may go away.
        if let value {
            let code = value.withCString { pointer in ferry_curl_setopt_string(handle, option, pointer) }
            try check(code)
        } else {
            try check(ferry_curl_setopt_string(handle, option, nil))
        }
    }

    private func set(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) throws(FerryHTTPError) {
        try check(ferry_curl_setopt_pointer(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(FerryHTTPError) {
        guard code == CURLE_OK else {
            throw .setup("curl_easy_setopt: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// `curl_global_init` must run once before any handle exists.
enum CurlGlobal {
    private static let once: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    static func initialize() { _ = once }
}
