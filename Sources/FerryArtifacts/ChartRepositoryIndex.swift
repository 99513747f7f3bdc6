public import FerryCore
public import FerryInputs
import FerryHTTP
import Foundation

/// A chart repository's `index.yaml` (Helm's `repo.IndexFile`), reduced to what picking and
/// fetching a chart needs. Entries are read as `helm repo index` writes them: `digest` is the
/// `.tgz`'s SHA-256 in hex without a prefix, `created` an RFC 3339 time, `urls` absolute or
/// relative to the repository URL.
public struct ChartRepositoryIndex: Sendable {
    /// One version of one chart.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var version: String
        /// Where the `.tgz` is; the first is used.
        public var urls: [String]
        /// The `.tgz`'s SHA-256, when the index lists it.
        public var digest: Digest?
        /// When it was indexed (RFC 3339), the manifest's `created`.
        public var created: String?
    }

    /// The repository URL, without a trailing slash.
    public let repository: String
    /// Every version of every chart, by chart name, as listed.
    public let entries: [String: [Entry]]

    /// Parses `index.yaml` of the repository at `repository`.
    public init(yaml text: String, repository: String) throws(FerryArtifactsError) {
        let source = repository + "/index.yaml"
        let value: InputValue?
        do { value = try YAMLReader.single(text, source: source) } catch {
            throw .index(repository, reason: "\(error)")
        }
        guard let value, let charts = value["entries"]?.entries else {
            throw .index(repository, reason: "no entries mapping; is this a Helm chart repository?")
        }
        var entries: [String: [Entry]] = [:]
        for (name, versions) in charts {
            guard case .sequence(let items) = versions else { continue }
            for item in items {
                guard let version = item["version"].map(ChartMetadata.goString), !version.isEmpty else { continue }
                let urls: [String]
                if case .sequence(let list)? = item["urls"] { urls = list.compactMap(\.string) } else { urls = [] }
                var digest: Digest?
                if let hex = item["digest"]?.string, !hex.isEmpty {
                    let text = hex.hasPrefix("sha256:") ? hex : "sha256:" + hex
                    guard let parsed = try? Digest(parsing: text.lowercased()) else {
                        throw .index(repository, reason: "\(name) \(version): digest \"\(hex.prefix(80))\" is not a SHA-256")
                    }
                    digest = parsed
                }
                entries[name, default: []].append(Entry(name: name, version: version, urls: urls, digest: digest,
                                                        created: item["created"]?.string))
            }
        }
        self.repository = repository
        self.entries = entries
    }

    /// The entry `request` picks: the exact version when it names one (build metadata and
    /// all, else the one semver-equal), otherwise the highest version the range allows,
    /// releases only unless the range names a prerelease.
    public func select(_ request: ChartRequest) throws(FerryArtifactsError) -> Entry {
        guard let candidates = entries[request.name], !candidates.isEmpty else {
            throw .chartNotFound(request.description, reason: "index.yaml of \(repository) lists no chart \(request.name)")
        }
        let versioned = candidates.compactMap { entry in SemanticVersion(entry.version).map { (entry, $0) } }
        let listed = candidates.prefix(8).map(\.version).joined(separator: ", ")
        guard let constraint = request.constraint else {
            guard let best = versioned.filter({ !$0.1.isPrerelease }).max(by: { $0.1 < $1.1 }) else {
                throw .chartNotFound(request.description, reason: "no release version of \(request.name) (listed: \(listed))")
            }
            return best.0
        }
        if let exact = candidates.first(where: { $0.version == constraint }) { return exact }
        if let version = SemanticVersion(constraint) {
            if let equal = versioned.first(where: { $0.1 == version }) { return equal.0 }
            throw .chartNotFound(request.description, reason: "version \(constraint) is not in index.yaml (listed: \(listed))")
        }
        let range: SemverConstraint
        do { range = try SemverConstraint(parsing: constraint, source: request.description) } catch {
            throw .request(request.description, reason: "\(error)")
        }
        guard let best = versioned.filter({ range.matches($0.1) }).max(by: { $0.1 < $1.1 }) else {
            throw .chartNotFound(request.description, reason: "no version matches \(constraint) (listed: \(listed))")
        }
        return best.0
    }

    /// An entry's first URL, resolved against the repository URL as Helm does (a relative URL
    /// is taken from the repository's directory).
    public func chartURL(_ entry: Entry) throws(FerryArtifactsError) -> String {
        guard let first = entry.urls.first, !first.isEmpty else {
            throw .index(repository, reason: "\(entry.name) \(entry.version) has no urls")
        }
        guard let base = URL(string: repository + "/"), let resolved = URL(string: first, relativeTo: base)?.absoluteURL else {
            throw .index(repository, reason: "\(entry.name) \(entry.version): cannot resolve url \"\(first.prefix(200))\"")
        }
        let shown = URLRedaction.redact(resolved.absoluteString)
        let scheme = resolved.scheme?.lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .index(repository, reason: "\(entry.name) \(entry.version): url \(shown) is not http(s)")
        }
        guard resolved.user == nil && resolved.password == nil else {
            throw .index(repository, reason: "\(entry.name) \(entry.version): url \(shown) holds credentials; ferry takes them from the auth file only")
        }
        // An https repository does not hand its charts to plain HTTP.
        guard scheme == "https" || !repository.lowercased().hasPrefix("https://") else {
            throw .index(repository, reason: "\(entry.name) \(entry.version): an https repository lists a plain-http url (\(shown)); refusing the downgrade")
        }
        return resolved.absoluteString
    }
}
