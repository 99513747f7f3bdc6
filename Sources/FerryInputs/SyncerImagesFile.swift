public import FerryCore
import Foundation

/// An image-syncer / SWR image-migrator `images.json` or `images.yaml`: a mapping of source
/// URL → destination URL, or → a list of destination URLs (`formats/sync-files/SPEC.md`).
public struct SyncerImagesFile: Sendable, Equatable {
    public let source: String
    /// In file order.
    public let rules: [SyncRule]

    public init(source: String, rules: [SyncRule]) {
        self.source = source
        self.rules = rules
    }

    /// Parses the text of an images file.
    public init(text: String, source: String) throws(FerryInputsError) {
        guard let root = try YAMLReader.single(text, source: source) else {
            self.init(source: source, rules: [])
            return
        }
        try self.init(value: root, source: source)
    }

    /// Parses an already-read document (the whole file, or the `images` part of an old
    /// image-syncer `config.json`).
    public init(value root: InputValue, source: String) throws(FerryInputsError) {
        guard let entries = root.entries else {
            throw .shape(source: source, path: "", reason: "an images file is a mapping of source → destination, not \(root.kindName)")
        }
        var rules: [SyncRule] = []
        for (key, value) in entries {
            let (repository, selection) = try SyncerURL.source(key, file: source)
            var destinations: [RuleDestination] = []
            switch value {
            case .null:
                destinations = [.defaultLocation]
            case .scalar(let text, _):
                try Self.refuseNonString(value, source: source, key: key)
                destinations = [try SyncerURL.destination(text, file: source, rule: key)]
            case .sequence(let items):
                for item in items {
                    guard let text = item.string ?? (item == .null ? "" : nil) else {
                        throw .shape(source: source, path: key, reason: "a destination list holds strings, found \(item.kindName)")
                    }
                    try Self.refuseNonString(item, source: source, key: key)
                    destinations.append(try SyncerURL.destination(text, file: source, rule: key))
                }
            case .mapping:
                throw .shape(source: source, path: key, reason: "a destination is a string or a list of strings, not a mapping")
            }
            rules.append(try SyncRule.validated(text: key, source: repository, selection: selection,
                                                destinations: destinations, file: source))
        }
        self.init(source: source, rules: rules)
    }

    /// A destination written as a number or boolean (`5`, `true`, YAML `127.0`) is refused
    /// with the file and key rather than read as a repository name such as `docker.io/library/5`.
    private static func refuseNonString(_ value: InputValue, source: String, key: String) throws(FerryInputsError) {
        guard let kind = value.nonStringKind, let text = value.string else { return }
        throw .shape(source: source, path: key, reason: "the destination \(text) is \(kind), not a name; quote it if a repository is meant")
    }

    /// An images.json for `references`, each sent to the default destination (`""`), keys
    /// sorted: what `ferry discover --output-format images-json` prints.
    public static func render(_ references: [ImageReference]) -> String {
        let unique = Array(Set(references.map(\.description))).sorted()
        guard !unique.isEmpty else { return "{}\n" }
        var text = "{\n"
        for (index, key) in unique.enumerated() {
            text += "  \(jsonString(key)): \"\"\(index == unique.count - 1 ? "" : ",")\n"
        }
        return text + "}\n"
    }

    private static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
