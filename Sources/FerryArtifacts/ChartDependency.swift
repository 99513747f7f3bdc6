public import FerryCore

/// A dependency Chart.yaml lists, as a request ferry can fetch (`--chart-deps`), or why not.
public enum ChartDependency: Sendable, Equatable {
    /// From a classic chart repository.
    case repository(ChartRequest)
    /// From an OCI registry: the repository, and the version or range to pick among its tags.
    case oci(ImageReference, constraint: String)
    /// Nothing to fetch: vendored in the chart (`file://`, or no repository).
    case vendored
    /// Cannot be fetched from here (`@name` or `alias:` repositories name the user's helm
    /// configuration), with the reason.
    case unreachable(String)

    public init(_ dependency: ChartMetadata.Dependency) {
        let repository = dependency.repository.trimmingCharacters(in: .whitespaces)
        let version = dependency.version.trimmingCharacters(in: .whitespaces)
        if repository.isEmpty || repository.hasPrefix("file://") {
            self = .vendored
            return
        }
        if repository.hasPrefix("@") || repository.hasPrefix("alias:") {
            self = .unreachable("repository \(repository) names a repository in the user's helm configuration; give its URL")
            return
        }
        if repository.hasPrefix("oci://") {
            let path = repository.dropFirst("oci://".count).split(separator: "/").joined(separator: "/")
            do {
                self = .oci(try ImageReference(parsing: "\(path)/\(dependency.name)"), constraint: version)
            } catch {
                self = .unreachable("\(repository)/\(dependency.name) is not a valid OCI name: \(error)")
            }
            return
        }
        let base = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
        do {
            self = .repository(try ChartRequest(parsing: "\(base)/\(dependency.name)" + (version.isEmpty ? "" : "@\(version)")))
        } catch {
            self = .unreachable("\(error)")
        }
    }
}
