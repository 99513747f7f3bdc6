import FerryCore

/// What `ferry export -f FILE` was given, recognised by content (`formats/sync-files/SPEC.md`,
/// "Recognising a file"):
///
/// - a mapping whose values are registry settings (`images`, `images-by-semver`, …) is a
///   skopeo sync file;
/// - a mapping with `auth`/`images` keys only is an old image-syncer `config.json`;
/// - any other mapping whose values are strings, lists of strings or empty is an image-syncer
///   images file;
/// - anything else (including text that is not YAML, and a single YAML scalar, which is what a
///   plain list of references looks like to a YAML parser) is a plain image list
///   (`formats/image-list/`).
///
/// Auth files and Kubernetes manifests are recognised only to say what to do with them.
public enum ImageInputFile: Sendable {
    /// A plain list; `yamlError` is why the text was not YAML, if it was not (worth showing
    /// when the list's own parser then refuses lines of what was meant to be a YAML file).
    case plainList(yamlError: FerryInputsError?)
    case syncerImages(SyncerImagesFile)
    case skopeoSync(SkopeoSyncFile)

    /// The kind of `text`, parsed; auth files and Kubernetes manifests are refused with a hint.
    public static func recognise(text: String, source: String) throws(FerryInputsError) -> ImageInputFile {
        // A plain list is not a YAML mapping; text YAML cannot parse is a plain list too, and
        // its parser reports bad lines with line numbers.
        let documents: [InputValue]
        do {
            documents = try YAMLReader.documents(text, source: source)
        } catch {
            return .plainList(yamlError: error)
        }
        guard documents.count == 1, let root = documents.first, let entries = root.entries else {
            return .plainList(yamlError: nil)
        }
        if entries.isEmpty { return .syncerImages(SyncerImagesFile(source: source, rules: [])) }
        let keys = Set(entries.map(\.key))
        // A plain list of nothing but `chart:` and `file:` lines reads as a YAML mapping.
        if keys.isSubset(of: ["chart", "file"]) { return .plainList(yamlError: nil) }
        if keys.contains("apiVersion") || keys.contains("kind") {
            throw .shape(source: source, path: "", reason: "this is a Kubernetes manifest; list its images with `ferry discover \(source)`")
        }
        let mappingValues = entries.filter { if case .mapping = $0.value { return true } else { return false } }
        if mappingValues.count == entries.count {
            let fieldNames = Set(mappingValues.flatMap { $0.value.entries?.map(\.key) ?? [] })
            if keys.isSubset(of: ["auth", "images"]), let images = root["images"] {
                return .syncerImages(try SyncerImagesFile(value: images, source: source))
            }
            if !fieldNames.isEmpty && fieldNames.isSubset(of: ["username", "password", "insecure", "identityToken"]) {
                throw .shape(source: source, path: "", reason: "this is an image-syncer auth file; pass it with --auth-syncer")
            }
            return .skopeoSync(try SkopeoSyncFile(value: root, source: source))
        }
        return .syncerImages(try SyncerImagesFile(value: root, source: source))
    }
}
