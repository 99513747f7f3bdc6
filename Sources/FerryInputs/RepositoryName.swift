public import FerryCore

/// A repository without tag or digest: `quay.io/coreos/etcd`, normalised like
/// `ImageReference` (`nginx` is `docker.io/library/nginx`).
public struct RepositoryName: Hashable, Sendable, CustomStringConvertible {
    /// `quay.io`, `127.0.0.1:5000`.
    public let registry: String
    /// `coreos/etcd`, `library/nginx`.
    public let repository: String

    /// Already normalised parts (no validation).
    public init(registry: String, repository: String) {
        self.registry = registry
        self.repository = repository
    }

    /// Parses a name that must carry neither tag nor digest.
    public init(parsing text: String) throws(FerryCoreError) {
        let lastComponent = text.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(text)
        guard !lastComponent.contains(":") && !text.contains("@") else {
            throw .invalidReference(text, reason: "a repository name here takes no tag or digest")
        }
        let reference = try ImageReference(parsing: text)
        self.init(registry: reference.registry, repository: reference.repository)
    }

    /// `registry/repository`.
    public var description: String { "\(registry)/\(repository)" }

    /// The image of this repository with `tag`.
    public func tagged(_ tag: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: nil)
    }

    /// The image of this repository pinned to `digest`.
    public func pinned(_ digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }
}

extension ImageReference {
    /// The repository this image lives in.
    public var repositoryName: RepositoryName { RepositoryName(registry: registry, repository: repository) }
}
