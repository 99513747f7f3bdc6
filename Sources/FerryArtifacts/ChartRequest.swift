public import FerryCore
import FerryHTTP
import FerryInputs
import Foundation

/// One `--chart` (or chart line of a list file): a chart in a classic Helm chart repository,
/// `https://charts.example.com/stable/NAME[@CONSTRAINT]` (issue 20). The repository is the URL
/// up to the last `/`; CONSTRAINT is a version (`1.2.3`, `1.2.3+build.7`) or a semver range
/// (`^1.2`, `>=1.0 <2`); without one the highest release (no prerelease) is taken, as
/// `helm pull` does.
///
/// The chart enters the bundle under `HOST[:PORT]/PATH/NAME:TAG`, where TAG is the version with
/// `+` as `_` (Helm's rule), so `ferry import --to REGISTRY` puts it where
/// `helm install oci://REGISTRY/PATH/NAME --version V` finds it.
public struct ChartRequest: Sendable, Hashable, CustomStringConvertible {
    /// The repository URL without a trailing slash: `https://charts.example.com/stable`.
    public let repository: String
    public let name: String
    /// What followed `@`, nil for "the newest release".
    public let constraint: String?

    public init(parsing text: String) throws(FerryArtifactsError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Errors quote the URL without user, password or query: a pasted secret stays out.
        func fail(_ reason: String) -> FerryArtifactsError { .request(URLRedaction.redact(trimmed), reason: reason) }
        guard let components = URLComponents(string: Self.splitConstraint(trimmed).url),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = components.host, !host.isEmpty else {
            throw fail("a chart is https://HOST/PATH/NAME[@VERSION], the chart repository's URL and the chart's name")
        }
        guard components.user == nil && components.password == nil else {
            throw fail("the URL holds credentials; store them with `ferry login \(host)` (or --authfile/--creds) instead")
        }
        guard components.query == nil && components.fragment == nil else {
            throw fail("the URL has a query or fragment; give the repository URL and the chart name only")
        }
        let (url, constraint) = Self.splitConstraint(trimmed)
        guard let slash = url.lastIndex(of: "/") else { throw fail("no chart name after the repository URL") }
        let name = String(url[url.index(after: slash)...])
        let base = String(url[..<slash])
        guard !name.isEmpty, base.count > scheme.count + 3 else {
            throw fail("no chart name after the repository URL")
        }
        guard ImageReference.isValidPathComponent(Substring(name)) else {
            throw fail("\"\(name)\" cannot name an OCI repository (lowercase letters, digits and . _ - only)")
        }
        if let constraint, constraint.isEmpty { throw fail("nothing after @; give a version or a range, or leave out the @") }
        if let constraint, SemanticVersion(constraint) == nil {
            do { _ = try SemverConstraint(parsing: constraint, source: "--chart") } catch {
                throw fail("\"\(constraint)\" is neither a version nor a semver range: \(error)")
            }
        }
        repository = base
        self.name = name
        self.constraint = constraint
    }

    /// The URL and what follows its last `@` (an `@` in the path before the last `/` is part of
    /// the URL).
    static func splitConstraint(_ text: String) -> (url: String, constraint: String?) {
        guard let at = text.lastIndex(of: "@"), let slash = text.lastIndex(of: "/"), at > slash else { return (text, nil) }
        return (String(text[..<at]), String(text[text.index(after: at)...]))
    }

    public var description: String { "\(repository)/\(name)" + (constraint.map { "@\($0)" } ?? "") }

    /// The repository's `index.yaml`.
    public var indexURL: String { repository + "/index.yaml" }

    /// The name the chart travels under, with `tag` for the chosen version.
    public func reference(tag: String) throws(FerryArtifactsError) -> ImageReference {
        guard let components = URLComponents(string: repository), let host = components.host else {
            throw .request(description, reason: "the repository URL has no host")
        }
        let hostPort = components.port.map { "\(host):\($0)" } ?? host
        let path = components.path.split(separator: "/").joined(separator: "/")
        let text = "\(hostPort)/\(path.isEmpty ? "" : path + "/")\(name):\(tag)"
        do {
            let reference = try ImageReference(parsing: text)
            // A host without a dot or port would be read as a Docker Hub namespace.
            guard reference.registry == ImageReference.canonicalRegistry(hostPort) else {
                throw FerryArtifactsError.request(description, reason: "\(hostPort) does not read as a registry host in \(text); give the repository with its full host name")
            }
            return reference
        } catch let error as FerryArtifactsError {
            throw error
        } catch {
            throw .request(description, reason: "its bundle name \(text) is not a valid image name (\(error)); the repository path must be lowercase letters, digits and . _ -")
        }
    }
}
