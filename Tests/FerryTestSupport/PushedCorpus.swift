/// What `ferry-fixtures.py push` pushed: the oracle tests compare ferry's results against.
/// Mirrors the script's JSON (see scripts/fixtures/ferry-fixtures.py).
public struct PushedCorpus: Decodable, Sendable {
    public let seed: UInt64
    /// "127.0.0.1:PORT"
    public let registry: String
    public let profile: String
    /// The repository prefix used, with a trailing "/" (or "").
    public let prefix: String
    /// One element per pushed tag (`apps/web:1.0` and `apps/web:latest` are two elements).
    public let images: [PushedImage]

    /// The image pushed as `repository:tag` (without the registry), e.g. "apps/web:1.0".
    public func image(_ repositoryAndTag: String) -> PushedImage? {
        images.first { $0.repositoryAndTag == repositoryAndTag }
    }

    /// Repositories pushed, sorted.
    public var repositories: [String] {
        Array(Set(images.map(\.repository))).sorted()
    }

    /// Every config and layer digest of every image.
    public var allBlobs: Set<String> {
        Set(images.flatMap(\.blobs))
    }
}

public struct PushedImage: Decodable, Sendable {
    /// "127.0.0.1:PORT/apps/web:1.0"
    public let reference: String
    public let repository: String
    public let tag: String
    /// Digest of the tagged manifest or index.
    public let digest: String
    public let mediaType: String
    public let size: Int
    /// For an index / manifest list: its children in order, each with `platform` set. For a
    /// single manifest: one element, the manifest itself, with `platform` nil.
    public let manifests: [PushedManifest]
    /// Every config and layer digest reachable from the tag, sorted, no duplicates.
    public let blobs: [String]

    /// "apps/web:1.0"
    public var repositoryAndTag: String { "\(repository):\(tag)" }

    /// True for an OCI index or a Docker manifest list.
    public var isIndex: Bool {
        mediaType == "application/vnd.oci.image.index.v1+json"
            || mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
    }

    /// The manifest for "os/arch[/variant]" (index children by their index platform, a single
    /// manifest by its config's platform).
    public func manifest(platform: String) -> PushedManifest? {
        manifests.first { ($0.platform ?? $0.configPlatform) == platform }
    }
}

public struct PushedManifest: Decodable, Sendable {
    public let digest: String
    public let mediaType: String
    public let size: Int
    /// "linux/arm64/v8" for a child of an index; nil for a single-manifest image.
    public let platform: String?
    /// os/architecture[/variant] as written in the config, always set.
    public let configPlatform: String
    public let config: PushedDescriptor
    public let layers: [PushedDescriptor]
}

public struct PushedDescriptor: Decodable, Sendable {
    public let digest: String
    public let size: Int
    public let mediaType: String
    /// sha256 of the uncompressed layer tar (layers only; nil for configs).
    public let diffID: String?
}
