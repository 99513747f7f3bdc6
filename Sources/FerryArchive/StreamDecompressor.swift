import CArchive

/// How many bytes one compressed input may expand to: `ratio` times its compressed size, but
/// never less than `floor`. The cap is what stands between a decompression bomb (a few KiB of
/// gzip or zstd that expand to terabytes) and a full `$TMPDIR`; README "Import" documents the
/// standard values. Tests pass small limits to prove the cap holds (issue 7).
public struct DecompressionLimit: Sendable, Equatable {
    /// Output allowed per byte of compressed input.
    public var ratio: Int64
    /// Output always allowed, however small the input (layers of zeros compress very well).
    public var floor: Int64

    public init(ratio: Int64, floor: Int64) {
        self.ratio = ratio
        self.floor = floor
    }

    /// 100× the input or 64 GiB, whichever is larger. Real image bundles compress by a few
    /// percent (their layers are compressed already), so 100× is never reached by honest input.
    public static let standard = DecompressionLimit(ratio: 100, floor: 64 << 30)

    /// The most bytes an input of `compressedSize` bytes may decompress to (saturating).
    public func bytes(forCompressedSize compressedSize: Int64) -> Int64 {
        let (scaled, overflow) = max(0, compressedSize).multipliedReportingOverflow(by: ratio)
        return max(floor, overflow ? Int64.max : scaled)
    }
}

/// Decompresses a whole file (gzip, zstd, xz, bzip2: whatever libarchive's filters read) as
/// one stream into a sink, refusing to produce more than `limit` bytes, so a decompression
/// bomb fails early instead of filling the disk. Owns the `struct archive *`; not `Sendable`.
///
/// Hostile streams, and who bounds them (tests: `CompressedInputTests`):
/// - bombs: the `limit` here; nothing past it reaches the sink;
/// - zstd frames that demand a huge window (a 2 GiB or 2 TiB history buffer): libarchive
///   decodes zstd with libzstd's streaming decoder and default parameters, whose
///   `ZSTD_d_windowLogMax` is 27, so a frame needing more than 128 MiB of window is refused
///   with libzstd's "Frame requires too much memory for decoding" before any allocation;
/// - concatenated gzip members (`cat a.gz b.gz`, pigz, bgzip): decoded one after the other,
///   as `gzip -d` does;
/// - a stream cut short: libarchive reports it ("truncated gzip input", …), and that error is
///   thrown rather than treated as the end of the data.
public final class StreamDecompressor {
    private let archive: OpaquePointer
    public let path: String

    public init(path: String) throws(FerryArchiveError) {
        archive = try Libarchive.openReader(path: path, format: .raw)
        self.path = path
        var entry: OpaquePointer?
        try check(archive_read_next_header(archive, &entry), "read stream header")
    }

    deinit {
        archive_read_free(archive)
    }

    /// Streams the decompressed bytes to `sink`; returns their count.
    public func decompress(limit: Int64, into sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n < 0 { try check(Int32(truncatingIfNeeded: n), "decompress") }
            if n <= 0 { return total }
            total += Int64(n)
            guard total <= limit else { throw FerryArchiveError.decompressionLimit(path: path, limit: limit) }
            try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    private func check(_ code: Int32, _ operation: String) throws(FerryArchiveError) {
        try Libarchive.check(archive, code, operation, path: path,
                             fallback: "the compressed stream is truncated or damaged (libarchive gave no reason)")
    }
}
