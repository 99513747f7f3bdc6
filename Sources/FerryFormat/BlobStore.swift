package import FerryArchive
public import FerryCore

/// Where one blob's bytes lie in a local bundle: read in place, never extracted.
public struct BlobLocation: Sendable {
    public let file: PositionalFile
    public let offset: Int64
    public let size: Int64
    /// The member or file name, for error messages.
    public let name: String
}

/// The blobs and `index.json` of a local bundle (tar) or OCI layout directory.
public protocol BlobStore: Sendable {
    /// The path the user gave, for messages.
    var location: String { get }
    /// The exact bytes of `index.json`, or nil when the input has none.
    func indexJSON() throws -> [UInt8]?
    /// Where a blob lies, or nil when the input does not carry it.
    func blob(_ digest: Digest) -> BlobLocation?
}

/// Opening whatever the user handed over.
package enum BlobStores {
    /// A layout directory, an uncompressed tar read in place, or a compressed tar decompressed
    /// once into `scratch` (one sequential pass; temporary space equal to its uncompressed size,
    /// capped by `limit`, by default 100× the input or 64 GiB, against decompression bombs).
    package static func open(_ path: String, scratch: String, limit: DecompressionLimit = .standard) throws -> any BlobStore {
        if FileSystem.isDirectory(path) { return try LayoutBlobStore(directory: path) }
        if let parts = try PartSet.locate(path) { return try TarBlobStore.open(parts, named: path) }
        do {
            return try TarBlobStore(path: path)
        } catch FerryFormatError.compressedInput {
            try FileSystem.makeDirectories(scratch)
            let plain = scratch + "/input.tar"
            try TarBlobStore.decompress(path, to: plain, limit: limit.bytes(forCompressedSize: FileSystem.fileSize(path) ?? 0))
            return try TarBlobStore(path: plain, displayName: path)
        }
    }
}

extension BlobLocation {
    /// Reads the whole range (small members: manifests, configs, manifest.json).
    package func readAll(limit: Int64) throws -> [UInt8] {
        guard size <= limit else { throw FerryFormatError.input(path: file.path, reason: "\(name) is over \(limit) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]), at: offset + Int64(done)) }
            guard n > 0 else { throw FerryFormatError.input(path: file.path, reason: "\(name) is truncated") }
            done += n
        }
        return bytes
    }
}

extension BlobStore {
    /// Reads a small blob (manifest, index, config) whole, checking size then digest.
    package func readVerified(_ descriptor: Descriptor, limit: Int64 = Int64(ParsedManifest.maximumSize)) throws -> [UInt8] {
        guard let location = blob(descriptor.digest) else {
            throw FerryFormatError.input(path: self.location, reason: "blob \(descriptor.digest) is missing")
        }
        guard location.size == descriptor.size else {
            throw FerryFormatError.damaged(path: self.location,
                                           reason: "\(location.name) has \(location.size) bytes, its descriptor says \(descriptor.size)")
        }
        guard descriptor.size <= limit else {
            throw FerryFormatError.input(path: self.location, reason: "\(location.name) is over the \(limit)-byte limit for a manifest")
        }
        var bytes = [UInt8](repeating: 0, count: Int(descriptor.size))
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeMutableBytes {
                try location.file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]), at: location.offset + Int64(done))
            }
            guard n > 0 else { throw FerryFormatError.input(path: self.location, reason: "\(location.name) is truncated") }
            done += n
        }
        let actual = DigestHasher.digest(of: bytes, algorithm: descriptor.digest.algorithm)
        guard actual == descriptor.digest else {
            throw FerryFormatError.damaged(path: self.location,
                                           reason: "\(location.name) is damaged: expected \(descriptor.digest), content hashes to \(actual)")
        }
        return bytes
    }
}
