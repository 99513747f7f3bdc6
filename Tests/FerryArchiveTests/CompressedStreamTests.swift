import FerryArchive
import Foundation
import Testing

/// Rule (issue 7, README "Import"): a compressed input is decoded as one bounded stream. A bomb
/// stops at the output limit with nothing past it handed on; a zstd frame that demands a huge
/// window is refused before the decoder allocates it; concatenated gzip members decode as their
/// concatenation (as `gzip -d` does); a stream cut short is an error, never a quiet end.
@Suite struct CompressedStreamTests {
    // MARK: - Building compressed inputs

    /// `bytes` compressed with ferry's own (libarchive) compressor.
    static func compress(_ bytes: [UInt8], _ kind: StreamCompressor.Kind, level: Int? = nil) throws -> [UInt8] {
        try StreamCompressor.compress(bytes, kind: kind, level: level)
    }

    /// Hand-built zstd frames (RFC 8878 §3.1.1), so a test controls exactly what a frame claims.
    enum ZstdFrame {
        static let magic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]

        /// A frame whose Window_Descriptor asks for 2^`windowLog` bytes of history, holding
        /// `content` in one raw block.
        static func raw(windowLog: Int, content: [UInt8]) -> [UInt8] {
            // Frame_Header_Descriptor 0: no content size, not single-segment, no checksum.
            magic + [0x00, UInt8((windowLog - 10) << 3)] + block(type: 0, size: content.count, last: true) + content
        }

        /// A single-segment frame: its window is its declared content size.
        static func singleSegment(declaredSize: UInt32, content: [UInt8]) -> [UInt8] {
            let size = withUnsafeBytes(of: declaredSize.littleEndian, Array.init)
            return magic + [0xa0] + size + block(type: 0, size: content.count, last: true) + content
        }

        /// A bomb: `blocks` RLE blocks of 128 KiB each, 4 bytes apiece (a ratio of 32768).
        static func rleBomb(blocks: Int) -> [UInt8] {
            var frame = magic + [0x00, UInt8((17 - 10) << 3)]
            for index in 0..<blocks {
                frame += block(type: 1, size: 128 << 10, last: index == blocks - 1) + [0x41]
            }
            return frame
        }

        /// Block_Header: Last_Block (bit 0), Block_Type (bits 1–2), Block_Size (bits 3–23), LE.
        static func block(type: Int, size: Int, last: Bool) -> [UInt8] {
            let header = (size << 3) | (type << 1) | (last ? 1 : 0)
            return [UInt8(header & 0xff), UInt8((header >> 8) & 0xff), UInt8((header >> 16) & 0xff)]
        }
    }

    /// Writes `bytes` to a new temporary file; the caller removes it.
    static func file(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "ferry-compressed-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Decompresses `bytes` with `limit`; returns the output (or throws).
    static func decompress(_ bytes: [UInt8], limit: Int64 = 1 << 30) throws -> [UInt8] {
        let path = try file(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var out: [UInt8] = []
        let count = try StreamDecompressor(path: path).decompress(limit: limit) { out += $0 }
        #expect(count == Int64(out.count))
        return out
    }

    /// Deterministic text that compresses a little, not a lot.
    static func text(_ label: String, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = 0
        while bytes.count < count {
            bytes += Array("\(label) line \(index) \(index * 7919 % 1013)\n".utf8)
            index += 1
        }
        return Array(bytes.prefix(count))
    }

    // MARK: - Bombs

    /// Rule: output stops at the limit: the sink never sees a byte past it, and the error names
    /// the limit. The same stream decodes whole under a limit that fits (so the bomb is real).
    @Test(arguments: ["gzip", "zstd"])
    func bombStopsAtTheLimit(_ kind: String) throws {
        let bomb: [UInt8]
        let expanded: Int64
        if kind == "gzip" {
            expanded = 32 << 20
            bomb = try Self.compress([UInt8](repeating: 0, count: Int(expanded)), .gzip, level: 9)
        } else {
            expanded = 64 * (128 << 10)
            bomb = ZstdFrame.rleBomb(blocks: 64)
        }
        #expect(Int64(bomb.count) * 500 < expanded, "\(kind) bomb of \(bomb.count) bytes is not a bomb")
        let path = try Self.file(bomb)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let limit: Int64 = 1 << 20
        var received: Int64 = 0
        do {
            let total = try StreamDecompressor(path: path).decompress(limit: limit) { received += Int64($0.count) }
            Issue.record("\(kind) bomb decoded \(total) bytes under a \(limit)-byte limit")
        } catch let error as FerryArchiveError {
            guard case .decompressionLimit(let named, let reported) = error else {
                Issue.record("\(kind): \(error)")
                return
            }
            #expect(named == path && reported == limit)
        }
        #expect(received <= limit)
        #expect(received > 0)

        let whole = try StreamDecompressor(path: path).decompress(limit: expanded) { _ in }
        #expect(whole == expanded)
    }

    /// Rule: the standard limit is 100× the compressed size with a 64 GiB floor, and never
    /// overflows.
    @Test(arguments: [
        (Int64(0), Int64(64) << 30),
        (Int64(1_000_000), Int64(64) << 30),
        (Int64(1) << 30, Int64(100) << 30),
        (Int64(1) << 40, Int64(100) << 40),
        (Int64.max / 10, Int64.max),
        (Int64(-5), Int64(64) << 30),
    ])
    func standardLimit(_ compressed: Int64, _ expected: Int64) {
        #expect(DecompressionLimit.standard.bytes(forCompressedSize: compressed) == expected)
    }

    // MARK: - zstd windows

    /// Rule: a frame that asks for more than 2^27 bytes of window (libzstd's default
    /// windowLogMax, which libarchive keeps) is refused with libzstd's reason, whatever its
    /// content; a frame with an ordinary window decodes (the control: the frames are well formed).
    @Test(arguments: [
        ("window 2^28", ZstdFrame.raw(windowLog: 28, content: Array("hello".utf8))),
        ("window 2^31", ZstdFrame.raw(windowLog: 31, content: Array("hello".utf8))),
        ("window 2^41", ZstdFrame.raw(windowLog: 41, content: Array("hello".utf8))),
        ("single segment of 4 GiB", ZstdFrame.singleSegment(declaredSize: 0xffff_fff0, content: Array("hello".utf8))),
    ])
    func hugeWindowIsRefused(_ label: String, _ frame: [UInt8]) throws {
        do {
            let out = try Self.decompress(frame)
            Issue.record("\(label): decoded \(out.count) bytes")
        } catch let error as FerryArchiveError {
            guard case .libarchive(_, _, let message, _) = error else {
                Issue.record("\(label): \(error)")
                return
            }
            #expect(message.contains("memory") || message.contains("window"), "\(label): \(message)")
        }
    }

    @Test(arguments: [10, 20, 27])
    func ordinaryWindowDecodes(_ windowLog: Int) throws {
        #expect(try Self.decompress(ZstdFrame.raw(windowLog: windowLog, content: Array("hello".utf8))) == Array("hello".utf8))
        #expect(try Self.decompress(ZstdFrame.singleSegment(declaredSize: 5, content: Array("hello".utf8))) == Array("hello".utf8))
    }

    // MARK: - Concatenated members

    /// Rule: gzip members (and zstd frames) written one after another decode as the
    /// concatenation of their contents, as `gzip -d` / `zstd -d` do; an empty member in between
    /// changes nothing.
    @Test(arguments: [
        ("gzip", [300, 70_000]),
        ("gzip", [1, 0, 5000, 200_000]),
        ("zstd", [1000, 2000, 0, 3]),
    ])
    func concatenatedMembersDecodeAsTheConcatenation(_ kind: String, _ sizes: [Int]) throws {
        let compressor: StreamCompressor.Kind = kind == "gzip" ? .gzip : .zstd
        let parts = sizes.enumerated().map { Self.text("member \($0.offset)", count: $0.element) }
        var stream: [UInt8] = []
        for part in parts { stream += try Self.compress(part, compressor) }
        let decoded = try Self.decompress(stream)
        #expect(decoded.count == sizes.reduce(0, +))
        #expect(decoded == parts.flatMap { $0 })
    }

    // MARK: - Truncation

    /// Rule: a stream cut anywhere (inside the data, inside the trailer) is an error, not a
    /// shorter output.
    @Test(arguments: ["gzip", "zstd"], [0.5, 0.9, -1, -4])
    func truncatedStreamIsAnError(_ kind: String, _ cut: Double) throws {
        let plain = Self.text("truncated", count: 300_000)
        let whole = try Self.compress(plain, kind == "gzip" ? .gzip : .zstd)
        #expect(try Self.decompress(whole) == plain)
        let keep = cut > 0 ? Int(Double(whole.count) * cut) : whole.count + Int(cut)
        let cutStream = Array(whole.prefix(keep))
        do {
            let out = try Self.decompress(cutStream)
            Issue.record("\(kind) cut to \(keep) of \(whole.count) bytes decoded \(out.count) of \(plain.count) bytes without an error")
        } catch let error as FerryArchiveError {
            #expect("\(error)".lowercased().contains("truncat") || "\(error)".lowercased().contains("premature"), "\(error)")
        }
    }
}
