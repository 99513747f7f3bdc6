import CArchive

/// Compresses one byte stream (a layer) with libarchive's filters in raw format, handing the
/// compressed bytes to a sink as they come out. Deterministic: the gzip header carries no
/// timestamp, so the same input always gives the same bytes and the same digest, which keeps
/// re-imports idempotent. Owns the `struct archive *`; not `Sendable`.
public final class StreamCompressor {
    public enum Kind: String, Sendable, CaseIterable {
        case gzip, zstd
    }

    /// Receives compressed output. Throwing aborts compression.
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private let archive: OpaquePointer
    private let box: SinkBox
    private var finished = false

    final class SinkBox {
        let sink: Sink
        var error: (any Error)?
        init(_ sink: @escaping Sink) { self.sink = sink }
    }

    /// `level` is the filter's compression level (gzip 1–9, zstd 1–19; nil for its default);
    /// `threads` lets zstd compress on several cores (libzstd's worker threads).
    public init(kind: Kind, level: Int? = nil, threads: Int? = nil, sink: @escaping Sink) throws(FerryArchiveError) {
        guard let archive = archive_write_new() else {
            throw .libarchive(operation: "archive_write_new", code: -30, message: "out of memory", path: "(layer)")
        }
        self.archive = archive
        box = SinkBox(sink)
        try check(archive_write_set_format_raw(archive), "set raw format")
        switch kind {
        case .gzip:
            try check(archive_write_add_filter_gzip(archive), "add gzip filter")
            try check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), "disable gzip timestamp")
        case .zstd:
            try check(archive_write_add_filter_zstd(archive), "add zstd filter")
            if let threads, threads > 1 {
                try check(archive_write_set_filter_option(archive, "zstd", "threads", String(threads)), "set zstd threads")
            }
        }
        if let level {
            try check(archive_write_set_filter_option(archive, kind.rawValue, "compression-level", String(level)), "set compression level")
        }
        // No block padding: the compressed stream must end where the compressor ends.
        try check(archive_write_set_bytes_in_last_block(archive, 1), "set last block")
        let opaque = Unmanaged.passUnretained(box).toOpaque()
        try check(archive_write_open2(archive, opaque, nil, { _, user, buffer, length in
            guard let user, let buffer else { return -1 }
            let box = Unmanaged<SinkBox>.fromOpaque(user).takeUnretainedValue()
            do {
                try box.sink(UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            } catch {
                box.error = error
                return -1
            }
        }, nil, nil), "open")
        guard let entry = archive_entry_new() else {
            throw .libarchive(operation: "archive_entry_new", code: -30, message: "out of memory", path: "(layer)")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "layer")
        archive_entry_set_filetype(entry, ferry_ae_ifreg)
        try check(archive_write_header(archive, entry), "write header")
    }

    deinit {
        archive_write_free(archive)
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        let written = archive_write_data(archive, buffer.baseAddress, buffer.count)
        if let error = box.error { throw error }
        guard written == buffer.count else { try check(Int32(truncatingIfNeeded: written < 0 ? written : -30), "write data") ; return }
    }

    /// Flushes the compressor; the sink has received every byte when this returns.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        let code = archive_write_close(archive)
        if let error = box.error { throw error }
        try check(code, "close")
    }

    private func check(_ code: Int32, _ operation: String) throws(FerryArchiveError) {
        try Libarchive.check(archive, code, operation, path: "(layer)")
    }

    /// `bytes` compressed in memory in one go (small payloads: tests, examples).
    public static func compress(_ bytes: [UInt8], kind: Kind, level: Int? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        let compressor = try StreamCompressor(kind: kind, level: level) { out += $0 }
        try bytes.withUnsafeBytes { try compressor.write($0) }
        try compressor.finish()
        return out
    }
}
