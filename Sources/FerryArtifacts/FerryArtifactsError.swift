public import FerryCore
import FerryHTTP

/// Failures turning charts (and later files) into OCI artifacts. Every case names the chart as
/// the user wrote it and carries the evidence; none carries a credential (URLs are redacted
/// by the HTTP layer before they reach here).
public enum FerryArtifactsError: Error, Sendable, CustomStringConvertible {
    /// A `--chart` that cannot be read.
    case request(String, reason: String)
    /// A repository's `index.yaml` that cannot be read or used.
    case index(String, reason: String)
    /// The repository has no such chart, or no version that fits.
    case chartNotFound(String, reason: String)
    /// A chart archive that is not a chart (no readable `Chart.yaml`).
    case chart(String, reason: String)
    /// The `.tgz` does not hash to the digest `index.yaml` lists for it.
    case digestMismatch(chart: String, url: String, listed: Digest, actual: Digest)
    /// A chart archive or provenance file past the size ferry reads into memory.
    case tooLarge(chart: String, url: String, limit: Int)
    /// A `--file` that cannot be carried (missing, not a regular file, a bad name).
    case file(String, reason: String)

    public var description: String {
        switch self {
        case .request(let text, let reason):
            return "chart \(text): \(reason)"
        case .index(let repository, let reason):
            return "chart repository \(repository): index.yaml: \(reason)"
        case .chartNotFound(let chart, let reason):
            return "chart \(chart): \(reason)"
        case .chart(let chart, let reason):
            return "chart \(chart): \(reason)"
        case .digestMismatch(let chart, let url, let listed, let actual):
            return "chart \(chart): \(URLRedaction.redact(url)) hashes to \(actual), but index.yaml lists \(listed); refusing it (damaged or replaced)"
        case .tooLarge(let chart, let url, let limit):
            return "chart \(chart): \(URLRedaction.redact(url)) is larger than \(limit / (1 << 20)) MiB; ferry reads chart files and indexes into memory and refuses larger ones"
        case .file(let path, let reason):
            return "file \(path): \(reason)"
        }
    }
}
