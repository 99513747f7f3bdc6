import Foundation

/// The `manifest.json` of a docker-archive (`formats/docker-archive/SPEC.md`): one element per
/// image, naming its config and layer members and its tags. Read here and nowhere else.
struct DockerManifestFile {
    struct Element: Decodable, Sendable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    let elements: [Element]

    /// Decodes `manifest.json` bytes; `location` names the archive in errors.
    init(_ bytes: [UInt8], location: String) throws {
        do {
            elements = try JSONDecoder().decode([Element].self, from: Data(bytes))
        } catch {
            throw FerryBundleError.input(path: location, reason: "manifest.json is not a docker-archive manifest: \(ParsedManifestSummary.of(error))")
        }
    }

    /// The archive's `manifest.json` member (following links inside the archive).
    init(_ tar: TarBlobStore) throws {
        try self.init(try tar.resolve("manifest.json").readAll(limit: 16 << 20), location: tar.location)
    }
}
