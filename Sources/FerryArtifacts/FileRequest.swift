public import FerryCore
import Foundation

/// One `--file PATH[=NAME[:TAG]]` (issue 20): a plain file carried as an ORAS-style artifact.
///
/// NAME defaults to `files/<file name>` and TAG to `latest`. A NAME without a registry host
/// gets `localhost/` (podman's name for images that come from no registry), so a file never
/// poses as a Docker Hub image; `ferry import --to REGISTRY` drops the host like any other.
public struct FileRequest: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let reference: ImageReference
    /// The file name the artifact carries (`org.opencontainers.image.title`).
    public let title: String

    /// `directory` makes a relative PATH absolute (nil: the working directory).
    public init(parsing text: String, directory: String? = nil) throws(FerryArtifactsError) {
        let directory = directory ?? FileManager.default.currentDirectoryPath
        let path: String
        var name: String?
        if let equals = text.firstIndex(of: "=") {
            path = String(text[..<equals])
            name = String(text[text.index(after: equals)...])
        } else {
            path = text
        }
        guard !path.isEmpty else { throw .file(text, reason: "no path before =") }
        let absolute = URL(fileURLWithPath: path.hasPrefix("/") ? path : directory + "/" + path).standardized.path
        let title = (absolute as NSString).lastPathComponent
        guard FileSystem.isPlainFileName(title) else { throw .file(text, reason: "\"\(title)\" cannot be a file's name in an artifact") }
        var reference = name ?? "files/" + FileRequest.repositoryComponent(title)
        if let given = name, given.isEmpty { throw .file(text, reason: "nothing after =; give NAME[:TAG] or leave out the =") }
        let first = reference.split(separator: "/").first.map(String.init) ?? ""
        if !(first.contains(".") || first.contains(":") || first == "localhost") { reference = "localhost/" + reference }
        let parsed: ImageReference
        do { parsed = try ImageReference(parsing: reference) } catch {
            throw .file(text, reason: "\(reference) is not a valid artifact name: \(error)")
        }
        guard parsed.digest == nil else { throw .file(text, reason: "a file's name takes a tag, not a digest") }
        self.path = absolute
        self.reference = parsed.tag == nil ? parsed.with(tag: "latest", digest: nil) : parsed
        self.title = title
    }

    public var description: String { "\(path)=\(reference)" }

    /// A file name as an OCI repository path component: lowercase, other characters as `-`.
    static func repositoryComponent(_ name: String) -> String {
        let mapped = name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") ? $0 : "-" }
        var text = String(mapped)
        while let first = text.first, !(first.isLetter || first.isNumber) { text.removeFirst() }
        while let last = text.last, !(last.isLetter || last.isNumber) { text.removeLast() }
        while text.contains("--") { text = text.replacingOccurrences(of: "--", with: "-") }
        while text.contains("..") { text = text.replacingOccurrences(of: "..", with: ".") }
        return text.isEmpty ? "file" : text
    }
}
