public import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The earlier bundles an incremental export builds on (`ferry export --since`, SPEC.md §12),
/// known only through their content indexes: a bundle (any form ferry reads: tar, parts,
/// compressed) or its `ferry-index.json` alone, so the big old bundle need not be kept.
public struct BaseBundles: Sendable, Equatable {
    /// Content index digest of each base, in the order given.
    public var digests: [Digest]
    /// Every blob the bases carried or relied on, with its size.
    public var known: [Digest: Int64]

    public init(digests: [Digest] = [], known: [Digest: Int64] = [:]) {
        self.digests = digests
        self.known = known
    }

    /// Reads the content index of every path and merges what they know.
    public static func load(_ paths: [String]) throws -> BaseBundles {
        var bases = BaseBundles()
        for path in paths {
            let bytes = try contentIndexBytes(of: path)
            let index: ContentIndex
            do {
                index = try ContentIndex.decode(bytes)
            } catch {
                throw FerryFormatError.input(path: path, reason: "its ferry-index.json is not a ferry content index: \(error)")
            }
            bases.digests.append(DigestHasher.digest(of: bytes))
            bases.known.merge(index.knownBlobs) { first, _ in first }
        }
        return bases
    }

    /// The exact bytes of the content index of `path`: the file itself when it is JSON,
    /// otherwise the `ferry-index.json` member of the bundle it is.
    public static func contentIndexBytes(of path: String) throws -> [UInt8] {
        guard !FileSystem.isDirectory(path) else {
            throw FerryFormatError.input(path: path, reason: "is a directory; a base must be a ferry bundle or its ferry-index.json")
        }
        if let size = FileSystem.fileSize(path), size <= 256 << 20 {
            let file = try PositionalFile(path: path, flags: O_RDONLY)
            var head = [UInt8](repeating: 0, count: 1)
            _ = try head.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
            if head[0] == UInt8(ascii: "{") { return try PartSet.read(file, offset: 0, size: size) }
        }
        let scratch = FileSystem.newScratch("base")
        defer { FileSystem.removeScratch(scratch) }
        guard let tar = try BundleInput.open(path, scratch: scratch).store() as? TarBlobStore else {
            throw FerryFormatError.input(path: path, reason: "is not a ferry bundle")
        }
        guard tar.members[ContentIndex.memberName] != nil else {
            throw FerryFormatError.input(path: path, reason: "has no \(ContentIndex.memberName): only ferry bundles can be a base")
        }
        return try tar.resolve(ContentIndex.memberName).readAll(limit: 256 << 20)
    }

    /// The blobs a bundle's images need from its bases, from the bundle's own content index
    /// (empty for a bundle that is not incremental, or any other archive).
    package static func external(of store: any BlobStore) throws -> [Digest: ContentIndex.BaseBlob] {
        guard let index = try ContentIndex.read(from: store) else { return [:] }
        return Dictionary((index.base?.blobs ?? []).map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
