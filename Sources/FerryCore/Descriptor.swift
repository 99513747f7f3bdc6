/// An OCI content descriptor: what a blob is, how big it is, and its digest.
///
/// Mirrors `descriptor.md` of the OCI image spec. Fields ferry does not model are not kept here;
/// manifests themselves always travel as their original bytes, so nothing is lost by that.
public struct Descriptor: Hashable, Sendable, Codable {
    public var mediaType: MediaType
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: MediaType, digest: Digest, size: Int64, urls: [String]? = nil,
                annotations: [String: String]? = nil, platform: Platform? = nil, artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.platform = platform
        self.artifactType = artifactType
    }
}

/// Annotation keys ferry reads and writes (`formats/ferry-bundle/SPEC.md`).
public enum AnnotationKey {
    /// OCI's reference name of an `index.json` entry. ferry writes the full normalised reference.
    public static let refName = "org.opencontainers.image.ref.name"
    /// containerd's (and Docker 25's) full image name of an `index.json` entry.
    public static let containerdImageName = "io.containerd.image.name"
    /// On a re-written index (platform subset): the digest of the registry's original index.
    public static let sourceIndexDigest = "dev.ferry.source-index-digest"
    /// On an entry ferry exported because it is attached to another image (cosign-style tag or
    /// OCI referrer): the digest of the manifest it is attached to.
    public static let subject = "dev.ferry.subject"
    /// On an entry exported from an images file (image-syncer, skopeo sync): the destinations
    /// the file names for it, comma-separated. Informational: import takes destination hosts
    /// only from its own command line.
    public static let destinations = "dev.ferry.destinations"
}
