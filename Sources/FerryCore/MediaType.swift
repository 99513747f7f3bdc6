/// A media type string with the questions ferry asks of it.
///
/// Unknown media types are kept as they are (artifacts, foreign layers); the predicates answer
/// only for the types ferry has to treat specially. Lists of types live here and nowhere else.
public struct MediaType: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        // A decoded string longer than 15 bytes is a heap object of its own, one per descriptor;
        // the well-known types share the constant's storage instead (issue 18: a 10,000-image
        // export decodes some 50,000 of them).
        rawValue = Self.wellKnown[text]?.rawValue ?? text
    }

    /// The types most descriptors carry, by their text.
    private static let wellKnown: [String: MediaType] = Dictionary(
        [ociManifest, ociIndex, ociConfig, ociLayer, ociLayerGzip, ociLayerZstd, dockerManifest, dockerManifestList,
         dockerConfig, dockerLayerGzip, dockerForeignLayerGzip].map { ($0.rawValue, $0) }, uniquingKeysWith: { a, _ in a })

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer: MediaType = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip: MediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// A Helm chart's config (`helm push`, issue 20): the manifest is a chart, not an image.
    public static let helmConfig: MediaType = "application/vnd.cncf.helm.config.v1+json"
    /// A Helm chart's `.tgz` layer, and its provenance (`.prov`) layer.
    public static let helmChart: MediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    public static let helmProvenance: MediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"

    /// The four manifest types ferry asks registries for, in preference order (the `Accept` header).
    public static let manifestTypes: [MediaType] = [.ociIndex, .ociManifest, .dockerManifestList, .dockerManifest]

    /// An index of manifests (OCI image index or Docker manifest list).
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }
    /// A single image manifest (OCI or Docker schema 2).
    public var isImageManifest: Bool { self == .ociManifest || self == .dockerManifest }
    /// Either kind of manifest: content that is fetched from `/manifests/` rather than `/blobs/`.
    public var isManifest: Bool { isIndex || isImageManifest }
    /// A container image configuration (OCI or Docker); anything else is an artifact's config.
    public var isImageConfig: Bool { self == .ociConfig || self == .dockerConfig }
    /// A filesystem layer (a tar, possibly compressed) that a container runtime can unpack;
    /// anything else in `layers` belongs to an artifact (signature, SBOM, …).
    public var isLayer: Bool {
        rawValue.hasPrefix("application/vnd.oci.image.layer.") || rawValue.hasPrefix("application/vnd.docker.image.rootfs.")
    }
    /// Uses Docker's media types (`vnd.docker.…`) rather than OCI's.
    public var isDocker: Bool { rawValue.hasPrefix("application/vnd.docker.") }
}
