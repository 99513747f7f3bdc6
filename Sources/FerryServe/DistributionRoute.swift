public import FerryCore
import Foundation

/// The pull side of the OCI distribution API, read from a request's method and path
/// (distribution-spec v1.1, "Endpoints"). Repository names may hold slashes, so the path is
/// read from its end: the last components say what is asked for, the rest is the name.
public enum DistributionRoute: Equatable, Sendable {
    /// `GET /v2/`: the API version check.
    case base
    /// `GET /v2/_catalog`.
    case catalog
    /// `GET|HEAD /v2/<name>/manifests/<tag|digest>`.
    case manifest(name: String, reference: ManifestReference)
    /// `GET|HEAD /v2/<name>/blobs/<digest>`.
    case blob(name: String, digest: Digest)
    /// `GET /v2/<name>/tags/list`.
    case tags(name: String)
    /// `GET /v2/<name>/referrers/<digest>`.
    case referrers(name: String, digest: Digest)
    /// Anything that writes (any method but GET and HEAD, or an upload path): 405, since a
    /// served bundle never changes.
    case write
    /// A path that names a repository, tag or digest that cannot exist: 400 or 404 with
    /// `code` as the OCI error code.
    case invalid(code: String, message: String)
    /// Not an API path.
    case unknown

    /// A tag or a digest.
    public enum ManifestReference: Equatable, Sendable {
        case tag(String)
        case digest(Digest)
    }

    /// Reads `method` (upper case) and `path` (without the query).
    public init(method: String, path: String) {
        guard path == "/v2" || path.hasPrefix("/v2/") else {
            self = .unknown
            return
        }
        let components = path.dropFirst(3).split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .map { String($0).removingPercentEncoding ?? String($0) }
        let reading = method == "GET" || method == "HEAD"
        if components.isEmpty || components == [""] {
            self = reading ? .base : .write
            return
        }
        if components.contains("uploads"), let blobs = components.lastIndex(of: "blobs"),
           blobs + 1 < components.count, components[blobs + 1] == "uploads" {
            self = .write
            return
        }
        guard reading else {
            self = .write
            return
        }
        if components == ["_catalog"] {
            self = .catalog
            return
        }
        guard components.count >= 3 else {
            self = .unknown
            return
        }
        let kind = components[components.count - 2], last = components[components.count - 1]
        let nameParts = Array(components.dropLast(2))
        let name = nameParts.joined(separator: "/")
        switch kind {
        case "manifests", "blobs", "referrers":
            break
        case "tags" where last == "list":
            break
        default:
            self = .unknown
            return
        }
        guard Self.isValidName(nameParts) else {
            self = .invalid(code: "NAME_INVALID", message: "invalid repository name \(name.prefix(256))")
            return
        }
        switch kind {
        case "tags":
            self = .tags(name: name)
        case "manifests":
            if last.contains(":") {
                guard let digest = try? Digest(parsing: last) else {
                    self = .invalid(code: "DIGEST_INVALID", message: "invalid digest \(last.prefix(256))")
                    return
                }
                self = .manifest(name: name, reference: .digest(digest))
            } else {
                guard ImageReference.isValidTag(last) else {
                    self = .invalid(code: "MANIFEST_UNKNOWN", message: "invalid tag \(last.prefix(256))")
                    return
                }
                self = .manifest(name: name, reference: .tag(last))
            }
        default:
            guard let digest = try? Digest(parsing: last) else {
                self = .invalid(code: "DIGEST_INVALID", message: "invalid digest \(last.prefix(256))")
                return
            }
            self = kind == "blobs" ? .blob(name: name, digest: digest) : .referrers(name: name, digest: digest)
        }
    }

    /// Each component as ImageReference reads a repository path; the whole under 256 characters.
    static func isValidName(_ components: [String]) -> Bool {
        !components.isEmpty && components.joined(separator: "/").utf8.count <= 255
            && components.allSatisfy { ImageReference.isValidPathComponent(Substring($0)) }
    }
}
