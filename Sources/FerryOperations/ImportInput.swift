public import FerryCore
import FerryFormat
import Foundation

/// An import's input, opened once: an uncompressed tar indexed in place, a layout directory,
/// or a compressed tar decompressed into a temporary directory, which goes away with this
/// object. Opening can be costly (a full decompression), so a caller that needs the input's
/// names first (`import -f`) opens it and hands it to `Importer.run`.
public final class ImportInput: Sendable {
    public let path: String
    let store: any BlobStore
    /// Temporary space of this input (a decompressed copy, converted layers).
    let scratch: String

    private init(path: String, store: any BlobStore, scratch: String) {
        self.path = path
        self.store = store
        self.scratch = scratch
    }

    deinit { FileSystem.removeScratch(scratch) }

    public static func open(_ path: String) async throws -> ImportInput {
        let scratch = FileSystem.newScratch("import")
        do {
            let store = try await Blocking.run { try BundleInput.open(path, scratch: scratch).store() }
            return ImportInput(path: path, store: store, scratch: scratch)
        } catch {
            FileSystem.removeScratch(scratch)
            throw error
        }
    }

    /// The names of the images the input carries (index.json entries; for a docker-archive
    /// without an OCI side, its RepoTags), without network: what an images file given to import
    /// (`-f`) is matched against.
    public func sourceNames() async throws -> [ImageReference] {
        try await Blocking.run { [store, path] in
            let index = try store.indexJSON().map { try BundleGraph.decodeIndex($0, location: path) }
            guard let index, !BundleGraph.usesDockerSide(store, index: index) else {
                guard let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else { return [] }
                // A RepoTag that is not a reference cannot be selected by a rule; the import
                // itself reports such names when it converts the archive.
                return try DockerManifestFile(tar).elements.flatMap { $0.RepoTags ?? [] }.compactMap { try? ImageReference(parsing: $0) }
            }
            return index.manifests.compactMap { ImageNaming.name(of: $0) }
        }
    }
}
