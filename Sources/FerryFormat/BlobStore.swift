import FerryArchive
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

extension BlobLocation {
    /// Reads the whole range (small members: manifests, configs, manifest.json).
    package func readAll(limit: Int64) throws -> [UInt8] {
        guard size <= limit else { throw FerryFormatError.input(path: file.path, reason: "\(name) is over \(limit) bytes") }
        let bytes = try file.read(count: Int(size), at: offset)
        guard bytes.count == size else { throw FerryFormatError.input(path: file.path, reason: "\(name) is truncated") }
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
        let bytes = try location.file.read(count: Int(descriptor.size), at: location.offset)
        guard bytes.count == descriptor.size else { throw FerryFormatError.input(path: self.location, reason: "\(location.name) is truncated") }
        let actual = DigestHasher.digest(of: bytes, algorithm: descriptor.digest.algorithm)
        guard actual == descriptor.digest else {
            throw FerryFormatError.damaged(path: self.location,
                                           reason: "\(location.name) is damaged: expected \(descriptor.digest), content hashes to \(actual)")
        }
        return bytes
    }
}
