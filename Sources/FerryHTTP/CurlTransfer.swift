import Foundation
import CCurl
import FerryCore

/// The state of one transfer, shared with libcurl's callbacks through an `Unmanaged` pointer.
///
/// Lives on the worker thread that runs the transfer. Callbacks never throw across C: they
/// store the error here and return libcurl's abort code.
final class CurlTransferContext {
    let sinkFactory: HTTPSinkFactory?
    let collectLimit: Int
    let url: String
    let body: HTTPBody?
    let cancelled: CancellationFlag

    var status = 0
    var headers = HTTPHeaders()
    var collected: [UInt8] = []
    var sink: (any HTTPBodySink)?
    var sinkDecided = false
    var storedError: (any Error)?
    var uploadOffset: Int64 = 0
    /// A stream body was claimed by this transfer (it is read once).
    var streamClaimed = false
    var rateLimiter: RateLimiter?

    init(url: String, body: HTTPBody?, sinkFactory: HTTPSinkFactory?, collectLimit: Int, cancelled: CancellationFlag) {
        self.url = url
        self.body = body
        self.sinkFactory = sinkFactory
        self.collectLimit = collectLimit
        self.cancelled = cancelled
    }

    var head: HTTPResponseHead { HTTPResponseHead(status: status, headers: headers, url: url) }

    /// A header line arrived. A status line starts a new header block (after `100 Continue`).
    func header(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers.add(name, value)
    }

    /// Body bytes arrived: hand them to the sink, or collect them up to the limit.
    func write(_ buffer: UnsafeRawBufferPointer) -> Bool {
        rateLimiter?.consume(buffer.count)
        do {
            if !sinkDecided {
                sinkDecided = true
                sink = try sinkFactory?(head)
            }
            if let sink {
                try sink.write(buffer)
            } else {
                guard collected.count + buffer.count <= collectLimit else {
                    // A declined (error) response is only kept for its message: truncate quietly
                    // when streaming, fail when the caller asked for the whole body.
                    if sinkFactory != nil {
                        collected.append(contentsOf: buffer.prefix(max(0, collectLimit - collected.count)))
                        return true
                    }
                    throw FerryHTTPError.bodyTooLarge(limit: collectLimit, url: URLRedaction.redact(url))
                }
                collected.append(contentsOf: buffer)
            }
            return true
        } catch {
            storedError = error
            return false
        }
    }

    /// libcurl wants upload bytes: copy from memory or read from the file range.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let count = readBody(into: buffer)
        if let count, count > 0 { rateLimiter?.consume(count) }
        return count
    }

    private func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let body else { return 0 }
        let remaining = body.length - uploadOffset
        let count = Int(min(Int64(buffer.count), remaining))
        guard count > 0 else { return 0 }
        switch body {
        case .bytes(let bytes):
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(uploadOffset)..<Int(uploadOffset) + count]))
            }
        case .stream(let stream, _):
            do {
                if uploadOffset == 0 && !streamClaimed {
                    try stream.claim()
                    streamClaimed = true
                }
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
                guard n > 0 else {
                    storedError = FerryHTTPError.bodyStreamEnded(url: URLRedaction.redact(url), sent: uploadOffset, expected: body.length)
                    return nil
                }
                uploadOffset += Int64(n)
                return n
            } catch {
                storedError = error
                return nil
            }
        case .file(let file, let offset, _, let observer):
            do {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset + uploadOffset)
                guard n > 0 else {
                    storedError = FerryCoreError.io(operation: "read (file shorter than expected)", path: file.path, errno: 0)
                    return nil
                }
                try observer?.observe(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                uploadOffset += Int64(n)
                return n
            } catch {
                storedError = error
                return nil
            }
        }
        uploadOffset += Int64(count)
        return count
    }
}

/// Set from any thread to stop a transfer at its next progress callback.
public final class CancellationFlag: @unchecked Sendable {
    private let mutex = Mutex()
    private var value = false
    public init() {}
    public var isCancelled: Bool { mutex.withLock { value } }
    public func cancel() { mutex.withLock { value = true } }
}

// MARK: - C callbacks (no captures: they recover the context from userdata)

let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user else { return 0 }
    let context = Unmanaged<CurlTransferContext>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    let ok = context.write(UnsafeRawBufferPointer(start: data, count: length))
    return ok ? length : 0
}

let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user, let data else { return 0 }
    let context = Unmanaged<CurlTransferContext>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    context.header(line)
    return length
}

let curlReadCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user, let data else { return ferry_curl_readfunc_abort }
    let context = Unmanaged<CurlTransferContext>.fromOpaque(user).takeUnretainedValue()
    return context.read(into: UnsafeMutableRawBufferPointer(start: data, count: size * count)) ?? ferry_curl_readfunc_abort
}

let curlSeekCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = { user, offset, origin in
    // CURL_SEEKFUNC_OK 0, CURL_SEEKFUNC_FAIL 1. Only absolute seeks are requested by libcurl.
    guard let user, origin == SEEK_SET else { return 1 }
    let context = Unmanaged<CurlTransferContext>.fromOpaque(user).takeUnretainedValue()
    guard let body = context.body, offset >= 0, offset <= body.length else { return 1 }
    if case .file(_, _, _, let observer?) = body {
        // An observer hashes a stream; it can only start over from byte 0.
        guard offset == 0 else { return 1 }
        observer.rewind()
    }
    // A produced stream cannot go back: only a seek to where it already is succeeds.
    if case .stream = body, Int64(offset) != context.uploadOffset { return 1 }
    context.uploadOffset = Int64(offset)
    return 0
}

let curlProgressCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = { user, _, _, _, _ in
    guard let user else { return 0 }
    let context = Unmanaged<CurlTransferContext>.fromOpaque(user).takeUnretainedValue()
    return context.cancelled.isCancelled ? 1 : 0
}
