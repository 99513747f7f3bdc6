import Dispatch
import FerryArchive
import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BundleWriter {
    /// Streams `size` bytes of `file` through a compressor into a temporary file beside
    /// `outputPath`, fsyncs and renames it; returns the compressed size.
    static func compress(_ file: PositionalFile, size: Int64, into outputPath: String, kind: StreamCompressor.Kind, level: Int?) throws -> Int64 {
        let temporary = FileSystem.temporaryName(for: outputPath)
        do {
            let output = try PositionalFile(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            var written: Int64 = 0
            let compressor = try StreamCompressor(kind: kind, level: level, threads: ProcessInfo.processInfo.activeProcessorCount) { buffer in
                try output.write(buffer, at: written)
                written += Int64(buffer.count)
            }
            guard try file.forEachChunk(length: size, chunkSize: 4 << 20, { try compressor.write($0) }) == size else {
                throw FerryFormatError.output(path: outputPath, reason: "bundle shorter than planned while compressing")
            }
            try compressor.finish()
            try output.sync()
            try output.close()
            try FileSystem.commitRename(from: temporary, to: outputPath)
            return written
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
    }

    static func verify(_ bytes: [UInt8], _ descriptor: Descriptor) throws {
        var verifier = BlobVerifier(descriptor)
        try bytes.withUnsafeBytes { try verifier.update($0) }
        try verifier.finish()
    }
}

/// Asks the kernel to start writing finished ranges to disk, from one background thread:
/// `sync_file_range` can block when the device queue is full, and a transfer thread must not
/// wait on the disk. Overlapping writeback with the network leaves little for the final fsync.
enum Writeback {
    private static let queue = DispatchQueue(label: "ferry.writeback")

    static func start(_ file: PositionalFile, offset: Int64, length: Int64) {
        guard length > 0 else { return }
        queue.async { file.startWriteback(offset: offset, length: length) }
    }
}
