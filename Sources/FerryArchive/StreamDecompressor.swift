import CArchive

/// Decompresses a whole file (gzip, zstd, xz, bzip2: whatever libarchive's filters read) as
/// one stream into a sink, refusing to produce more than `limit` bytes, so a decompression
/// bomb fails early instead of filling the disk. Owns the `struct archive *`; not `Sendable`.
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
            guard total <= limit else {
                throw FerryArchiveError.libarchive(operation: "decompress", code: 0,
                                                   message: "output exceeds \(limit) bytes (decompression bomb?)", path: path)
            }
            try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    private func check(_ code: Int32, _ operation: String) throws(FerryArchiveError) {
        try Libarchive.check(archive, code, operation, path: path)
    }
}
