package import FerryArchive
public import FerryCore

#if canImport(Glibc)
import Glibc
#endif

/// An uncompressed tar (ferry bundle, oci-archive, Docker 25 `docker save`) indexed in one pass
/// over its headers; blobs are then read in place, in parallel, with `pread`.
///
/// Never trusts the archive: member names are normalised inside the archive's namespace and
/// refused when they could leave it, duplicate members are an error, and `blobs/<alg>/<hex>`
/// names must be valid digests. Compressed inputs are recognised by their magic bytes and
/// refused with advice (streaming them is a later step).
public final class TarBlobStore: BlobStore, @unchecked Sendable {
    public let location: String
    private let file: PositionalFile
    private let blobs: [Digest: BlobLocation]
    private let index: ScannedTarMember?
    /// All regular members by normalised name.
    package let members: [String: ScannedTarMember]

    /// Indexes an open file: an ordinary tar, or the parts of a split bundle opened as one.
    public init(file: PositionalFile, displayName: String) throws {
        location = displayName
        let path = displayName
        self.file = file
        if let kind = try Self.compression(of: file) {
            throw FerryFormatError.compressedInput(path: path, compression: kind)
        }
        let scanned: [ScannedTarMember]
        let trailing: Bool
        do {
            (scanned, trailing) = try TarScanner(file: file).scan()
        } catch {
            throw FerryFormatError.input(path: path, reason: "not a readable tar: \(error)")
        }
        if trailing {
            throw FerryFormatError.input(path: path, reason: "has data after the end-of-archive marker")
        }
        var members: [String: ScannedTarMember] = [:]
        var blobs: [Digest: BlobLocation] = [:]
        for member in scanned {
            guard let name = try MemberName.normalise(member.name) else { continue }
            if member.kind == .directory { continue }
            guard members[name] == nil else {
                throw FerryFormatError.input(path: path, reason: "member \(name) appears twice")
            }
            var normalised = member
            normalised.name = name
            members[name] = normalised
            let parts = name.split(separator: "/")
            if parts.count == 3, parts[0] == "blobs", member.kind == .file {
                let digest: Digest
                do {
                    digest = try Digest(parsing: "\(parts[1]):\(parts[2])")
                } catch {
                    throw FerryFormatError.input(path: path, reason: "member \(name) is not named by a valid digest (\(error))")
                }
                blobs[digest] = BlobLocation(file: file, offset: member.dataOffset, size: member.size, name: name)
            }
        }
        self.members = members
        self.blobs = blobs
        index = members["index.json"]
    }

    public func indexJSON() throws -> [UInt8]? {
        guard let index else { return nil }
        guard index.size <= Int64(ParsedManifest.maximumSize) else {
            throw FerryFormatError.input(path: location, reason: "index.json is over \(ParsedManifest.maximumSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(index.size))
        let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: index.dataOffset) }
        guard n == bytes.count else { throw FerryFormatError.input(path: location, reason: "index.json is truncated") }
        return bytes
    }

    public func blob(_ digest: Digest) -> BlobLocation? { blobs[digest] }

    /// Where a member's data lies, following symbolic links inside the archive (at most 8).
    package func resolve(_ name: String) throws -> BlobLocation {
        var current = name
        for _ in 0..<8 {
            guard let normalised = try MemberName.normalise(current), let member = members[normalised] else {
                throw FerryFormatError.input(path: location, reason: "member \(current) is missing")
            }
            switch member.kind {
            case .file:
                return BlobLocation(file: file, offset: member.dataOffset, size: member.size, name: normalised)
            case .symlink:
                guard let target = member.linkTarget else { throw FerryFormatError.input(path: location, reason: "link \(normalised) has no target") }
                current = try MemberName.resolveLink(member: normalised, target: target)
            case .hardlink:
                guard let target = member.linkTarget else { throw FerryFormatError.input(path: location, reason: "link \(normalised) has no target") }
                current = target
            default:
                throw FerryFormatError.input(path: location, reason: "member \(normalised) is not a regular file")
            }
        }
        throw FerryFormatError.input(path: location, reason: "links from \(name) do not end (cycle?)")
    }

    /// Decompresses `path` into `destination` (a new uncompressed tar), writing at most
    /// `limit` bytes. The cost of reading a compressed bundle: temporary space equal to its
    /// uncompressed size, and one sequential pass before the parallel import starts.
    ///
    /// A failure to read the input is bad input (exit 65); a failure to write the copy (a full
    /// disk) is local I/O (exit 74) and says so (issue 15, item 19).
    package static func decompress(_ path: String, to destination: String, limit: Int64) throws {
        let output = try PositionalFile(path: destination, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        var written: Int64 = 0
        var writeFailure: (any Error)?
        do {
            let decompressor = try StreamDecompressor(path: path)
            _ = try decompressor.decompress(limit: limit) { buffer in
                do {
                    try output.write(buffer, at: written)
                } catch {
                    writeFailure = error
                    throw error
                }
                written += Int64(buffer.count)
            }
        } catch {
            if let writeFailure {
                throw FerryFormatError.output(path: destination, reason: "cannot write the decompressed copy of \(path): \(writeFailure)")
            }
            throw FerryFormatError.input(path: path, reason: "cannot decompress: \(error)")
        }
        do {
            try output.close()
        } catch {
            throw FerryFormatError.output(path: destination, reason: "cannot write the decompressed copy of \(path): \(error)")
        }
    }

    /// gzip, zstd, xz or bzip2 by magic bytes, or nil.
    package static func compression(of file: PositionalFile) throws -> String? {
        var magic = [UInt8](repeating: 0, count: 6)
        let n = try magic.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        let head = magic.prefix(n)
        if head.starts(with: [0x1f, 0x8b]) { return "gzip" }
        if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return "zstd" }
        if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return "xz" }
        if head.starts(with: [0x42, 0x5a, 0x68]) { return "bzip2" }
        return nil
    }
}

/// An OCI image layout directory: `index.json` and `blobs/<alg>/<hex>` files.
public final class LayoutBlobStore: BlobStore, @unchecked Sendable {
    public let location: String

    public init(directory: String) throws {
        location = directory
        guard FileSystem.exists("\(directory)/oci-layout") else {
            throw FerryFormatError.input(path: directory, reason: "is a directory without an oci-layout file")
        }
    }

    public func indexJSON() throws -> [UInt8]? {
        let path = "\(location)/index.json"
        guard let size = FileSystem.fileSize(path) else { return nil }
        guard size <= Int64(ParsedManifest.maximumSize) else {
            throw FerryFormatError.input(path: path, reason: "is over \(ParsedManifest.maximumSize) bytes")
        }
        let file = try PositionalFile(path: path, flags: O_RDONLY)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        guard n == bytes.count else { throw FerryFormatError.input(path: path, reason: "changed while being read") }
        return bytes
    }

    public func blob(_ digest: Digest) -> BlobLocation? {
        let path = "\(location)/\(digest.layoutPath)"
        // A blob that cannot be opened is reported as missing; the caller names it.
        guard let size = FileSystem.fileSize(path), let file = try? PositionalFile(path: path, flags: O_RDONLY) else { return nil }
        return BlobLocation(file: file, offset: 0, size: size, name: digest.layoutPath)
    }
}
