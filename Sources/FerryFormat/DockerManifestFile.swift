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
        do {
            elements = try JSONDecoder().decode([Element].self, from: Data(bytes))
        } catch {
            throw FerryFormatError.input(path: location, reason: "manifest.json is not a docker-archive manifest: \(DecodingSummary.of(error))")
        }
    }

    /// The archive's `manifest.json` member (following links inside the archive).
    package init(_ tar: TarBlobStore) throws {
        try self.init(try tar.resolve("manifest.json").readAll(limit: 16 << 20), location: tar.location)
    }
}
