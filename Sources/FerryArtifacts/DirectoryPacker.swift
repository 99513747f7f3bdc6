public import FerryCore
import FerryArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory given to `--file` as one tar+gzip layer, as oras packs one (issue 20): entries
/// named `TITLE` and `TITLE/…`, then unpacked by `oras pull` (it checks the
/// `io.deis.oras.content.digest` of the uncompressed tar) and by `ferry extract`.
///
/// Unlike oras, the tar is reproducible: entries in byte order of their names, mtime 0,
/// uid/gid 0, no user names, gzip without a timestamp; only names, modes and contents count.
/// Regular files and directories only: a symlink, device or socket stops the export with its
/// path (a link's target means something only on the machine that made it).
enum DirectoryPacker {
    struct Packed {
        /// The tar+gzip layer's digest and size.
        var digest: Digest
        var size: Int64
        /// The uncompressed tar's digest (`io.deis.oras.content.digest`).
        var tarDigest: Digest
    }

    /// Writes `directory` as a tar+gzip to `output`.
    static func pack(_ directory: String, title: String, into output: String) throws -> Packed {
        let out = try PositionalFile(path: output, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        var closed = false
        defer { if !closed { try? out.close() } }  // after a failure: the error thrown says more
        var written: Int64 = 0
        var gzipHasher = DigestHasher()
        var tarHasher = DigestHasher()
        let compressor = try StreamCompressor(kind: .gzip) { chunk in
            gzipHasher.update(chunk)
            try out.write(chunk, at: written)
            written += Int64(chunk.count)
        }
        func emit(_ bytes: [UInt8]) throws {
            tarHasher.update(bytes)
            try bytes.withUnsafeBytes { try compressor.write($0) }
        }
        func walk(_ path: String, name: String, root: Bool = false) throws {
            var status = stat()
            // The directory given may be a link to one; links inside it are not followed.
            guard (root ? stat(path, &status) : lstat(path, &status)) == 0 else {
                throw FerryArtifactsError.file(path, reason: String(cString: strerror(errno)))
            }
            let mode = Int(status.st_mode & 0o7777)
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                try emit(try TarHeader.encode(TarMember(name: name, size: 0, kind: .directory, mode: mode)))
                let children: [String]
                do { children = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                    throw FerryArtifactsError.file(path, reason: "cannot list the directory")
                }
                for child in children.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                    try walk(path + "/" + child, name: name + "/" + child)
                }
            case S_IFREG:
                let size = Int64(status.st_size)
                try emit(try TarHeader.encode(TarMember(name: name, size: size, kind: .file, mode: mode)))
                let file = try PositionalFile(path: path, flags: O_RDONLY)
                defer { try? file.close() }
                let read = try file.forEachChunk(length: size) { chunk in
                    tarHasher.update(chunk)
                    try compressor.write(chunk)
                }
                guard read == size else { throw FerryArtifactsError.file(path, reason: "changed while it was read (\(read) of \(size) bytes)") }
                try emit([UInt8](repeating: 0, count: TarHeader.padding(size)))
            default:
                throw FerryArtifactsError.file(path, reason: "is not a regular file or directory (symlinks, devices and sockets are not carried)")
            }
        }
        try walk(directory, name: title, root: true)
        try emit(TarHeader.endOfArchive)
        try compressor.finish()
        try out.sync()
        try out.close()
        closed = true
        return Packed(digest: gzipHasher.finalize(), size: written, tarDigest: tarHasher.finalize())
    }
}
