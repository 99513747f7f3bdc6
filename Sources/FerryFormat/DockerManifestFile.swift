import FerryCore
import Foundation

/// The `manifest.json` of a docker-archive (`formats/docker-archive/SPEC.md`): one element per
/// image, naming its config and layer members and its tags. Read here and nowhere else.
package struct DockerManifestFile {
    package struct Element: Decodable, Sendable {
        package var Config: String
        package var RepoTags: [String]?
        package var Layers: [String]
    }

    package let elements: [Element]

    /// Decodes `manifest.json` bytes; `location` names the archive in errors.
    init(_ bytes: [UInt8], location: String) throws {
        try self.init(Data(bytes), location: location)
    }

    private init(_ data: Data, location: String) throws {
        do {
            elements = try JSONDecoder().decode([Element].self, from: data)
        } catch {
            throw FerryFormatError.input(path: location, reason: "manifest.json is not a docker-archive manifest: \(DecodingSummary.of(error))")
        }
    }

    /// The archive's `manifest.json` member (following links inside the archive).
    package init(_ tar: TarBlobStore) throws {
        // Only the Data copy lives on while decoding: the array read is gone by then (at
        // 10,000 images both were 4 MB each at an import's peak).
        let data = Data(try tar.resolve("manifest.json").readAll(limit: 16 << 20))
        try self.init(data, location: tar.location)
    }
}
