public import FerryCore
import Foundation

/// Finds the images Kubernetes manifests use, without a cluster (`ferry discover`;
/// `formats/sync-files/SPEC.md`, "Kubernetes discovery").
///
/// Reads multi-document YAML and JSON (kubectl `-o yaml|json`, Helm-rendered output), walks
/// `List` and `*List` kinds through `items`, and takes `image` from `containers`,
/// `initContainers` and `ephemeralContainers` of the pod spec of Pods, PodTemplates,
/// Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and
/// CronJobs (`spec.jobTemplate.spec.template.spec`). Images are normalised with
/// `ImageReference` and de-duplicated. A bad image string or an unreadable document becomes a
/// `Problem` naming the file and document; scanning goes on.
public struct KubernetesDiscovery: Sendable {
    /// Where an image string was found.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        /// File path, or `stdin`.
        public let file: String
        /// 1-based index of the YAML document in the file.
        public let document: Int
        /// `Deployment/web`, `CronJob/backup` (with `items[3]` inside a List), or nil when
        /// the problem is the document itself.
        public let object: String?
        /// `containers[0]`, `initContainers[1]`, …
        public let container: String?

        public var description: String {
            var text = "\(file): document \(document)"
            if let object { text += ": \(object)" }
            if let container { text += ": \(container)" }
            return text
        }
    }

    /// An image found, with every place it appears.
    public struct Found: Sendable, Equatable {
        /// The normalised reference.
        public let reference: ImageReference
        /// Every place it appears, in scan order.
        public let locations: [Location]
    }

    /// Something that could not be read; `image` is the offending string, when there is one.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let location: Location
        public let image: String?
        public let reason: String

        public var description: String {
            if let image { return "\(location): image \"\(image)\": \(reason)" }
            return "\(location): \(reason)"
        }
    }

    /// Images (sorted by full reference) and problems (in the order met).
    public var images: [Found] {
        found.sorted { $0.key < $1.key }.map { Found(reference: $0.value.reference, locations: $0.value.locations) }
    }
    public private(set) var problems: [Problem] = []
    /// Each image by its full reference, sorted only when asked for: keeping a sorted list
    /// while scanning (an insert and a new index per image) was quadratic in the images.
    private var found: [String: (reference: ImageReference, locations: [Location])] = [:]

    /// An empty discovery; feed it with `scan`.
    public init() {}

    /// Scans one file's text (`source` is its name in messages).
    public mutating func scan(text: String, source: String) {
        let (documents, error) = YAMLReader.documentsUpToError(text, source: source)
        for (offset, document) in documents.enumerated() {
            visit(document, file: source, document: offset + 1, prefix: "")
        }
        if let error {
            // The parser stops at the first broken document; the ones before it were read.
            let reason: String
            switch error {
            case .syntax(_, let detail): reason = "not valid YAML or JSON: \(detail)"
            case .shape(_, let path, let detail): reason = "\(path): \(detail)"
            default: reason = error.description
            }
            problems.append(Problem(location: Location(file: source, document: documents.count + 1, object: nil, container: nil),
                                    image: nil, reason: reason))
        }
    }

    /// Scans files and directories (recursively: `*.yaml`, `*.yml`, `*.json`, hidden entries
    /// skipped, in name order). A named file is read whatever its extension.
    public mutating func scan(paths: [String]) throws(FerryInputsError) {
        for path in paths {
            for file in try Self.files(at: path) {
                scan(text: try InputText.read(path: file), source: file)
            }
        }
    }

    /// The images, without their locations.
    public var references: [ImageReference] { images.map(\.reference) }

    static func files(at path: String) throws(FerryInputsError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(source: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw .unreadable(source: path, reason: "cannot list the directory")
        }
        var files: [String] = []
        for name in names where !name.hasPrefix(".") {
            let child = path.hasSuffix("/") ? path + name : "\(path)/\(name)"
            var childIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child, isDirectory: &childIsDirectory) else { continue }
            if childIsDirectory.boolValue {
                files += try self.files(at: child)
            } else if [".yaml", ".yml", ".json"].contains(where: { name.lowercased().hasSuffix($0) }) {
                files.append(child)
            }
        }
        return files
    }

    /// Workload kinds and the path from the object to its pod spec.
    static let podSpecPaths: [String: [String]] = [
        "Pod": ["spec"],
        "PodTemplate": ["template", "spec"],
        "Deployment": ["spec", "template", "spec"],
        "StatefulSet": ["spec", "template", "spec"],
        "DaemonSet": ["spec", "template", "spec"],
        "ReplicaSet": ["spec", "template", "spec"],
        "ReplicationController": ["spec", "template", "spec"],
        "Job": ["spec", "template", "spec"],
        "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    ]

    static let containerFields = ["initContainers", "containers", "ephemeralContainers"]

    private mutating func visit(_ object: InputValue, file: String, document: Int, prefix: String) {
        guard case .mapping = object, let kind = object["kind"]?.string else { return }
        if kind == "List" || (kind.hasSuffix("List") && object["items"] != nil) {
            guard case .sequence(let items)? = object["items"] else { return }
            for (index, item) in items.enumerated() {
                visit(item, file: file, document: document, prefix: "\(prefix)items[\(index)] ")
            }
            return
        }
        guard let path = Self.podSpecPaths[kind] else { return }
        let name = object["metadata"]?["name"]?.string ?? "?"
        let objectName = "\(prefix)\(kind)/\(name)"
        var spec: InputValue? = object
        for key in path { spec = spec?[key] }
        guard let spec else { return }
        for field in Self.containerFields {
            guard case .sequence(let containers)? = spec[field] else { continue }
            for (index, container) in containers.enumerated() {
                let location = Location(file: file, document: document, object: objectName, container: "\(field)[\(index)]")
                guard let value = container["image"] else {
                    // Ephemeral containers and templates sometimes omit it; Kubernetes would refuse the others.
                    if field != "ephemeralContainers" {
                        problems.append(Problem(location: location, image: nil, reason: "container without an image"))
                    }
                    continue
                }
                guard let text = value.string else {
                    problems.append(Problem(location: location, image: nil, reason: "image is \(value.kindName), not a string"))
                    continue
                }
                record(text.trimmingCharacters(in: .whitespaces), at: location)
            }
        }
    }

    private mutating func record(_ text: String, at location: Location) {
        let reference: ImageReference
        do {
            reference = try ImageReference(parsing: text)
        } catch {
            problems.append(Problem(location: location, image: text, reason: error.description))
            return
        }
        found[reference.description, default: (reference, [])].locations.append(location)
    }
}
