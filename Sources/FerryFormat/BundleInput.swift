public import FerryArchive
public import FerryCore

#if canImport(Glibc)
import Glibc
#endif

/// An input as the user named it, opened once: a layout directory, an uncompressed tar, the
/// parts of a split bundle read as one file, or a compressed tar decompressed once into a
/// scratch directory (one sequential pass; temporary space equal to its uncompressed size,
/// capped by `limit`, by default 100× the input or 64 GiB, against decompression bombs).
///
/// Every reader of one command works from this one opening: import's blob store, verify's
/// lenient member list, its signature check and its legacy docker-archive check (issue 16: a
/// split bundle used to be located and opened up to four times by one `ferry verify`).
public final class BundleInput: Sendable {
    public enum Content: Sendable {
        case directory(String)
        case tar(PositionalFile)
    }

    /// The path the user gave, for messages.
    public let path: String
    public let content: Content
    /// The parts, when the input is a split bundle.
    public let parts: PartSet?
    /// True when `content` is an uncompressed copy of a compressed input.
    public let decompressed: Bool

    private init(path: String, content: Content, parts: PartSet?, decompressed: Bool) {
        self.path = path
        self.content = content
        self.parts = parts
        self.decompressed = decompressed
    }

    /// The names that go with the input (a split bundle's are derived from its joined name).
    public var files: BundleFiles { BundleFiles(parts?.base ?? path) }

    /// What messages call the input: a split bundle by its joined name.
    public var displayName: String { parts?.base ?? path }

    public static func open(_ path: String, scratch: String, limit: DecompressionLimit = .standard) throws -> BundleInput {
        if FileSystem.isDirectory(path) {
            return BundleInput(path: path, content: .directory(path), parts: nil, decompressed: false)
        }
        if let parts = try PartSet.locate(path) {
            let file = try parts.open()
            guard try TarBlobStore.compression(of: file) == nil else {
                throw FerryFormatError.input(path: path, reason: "the parts of a split bundle are compressed; ferry reads split bundles uncompressed")
            }
            return BundleInput(path: path, content: .tar(file), parts: parts, decompressed: false)
        }
        let file: PositionalFile
        do {
            file = try PositionalFile(path: path, flags: O_RDONLY)
        } catch {
            throw FerryFormatError.input(path: path, reason: "cannot open: \(error)")
        }
        guard try TarBlobStore.compression(of: file) != nil else {
            return BundleInput(path: path, content: .tar(file), parts: nil, decompressed: false)
        }
        try file.close()
        try FileSystem.makeDirectories(scratch)
        let plain = scratch + "/input.tar"
        try TarBlobStore.decompress(path, to: plain, limit: limit.bytes(forCompressedSize: FileSystem.fileSize(path) ?? 0))
        return BundleInput(path: path, content: .tar(try PositionalFile(path: plain, flags: O_RDONLY)), parts: nil, decompressed: true)
    }

    /// The input as a blob store: the layout directory, or the tar indexed in one pass over its
    /// headers.
    public func store() throws -> any BlobStore {
        switch content {
        case .directory(let directory): return try LayoutBlobStore(directory: directory)
        case .tar(let file): return try TarBlobStore(file: file, displayName: displayName)
        }
    }
}
