/// One requested image after its graph was walked: what goes into `index.json` for it, and
/// every manifest and blob it needs.
public struct ResolvedImage: Sendable {
    /// The reference as the user asked for it, normalised.
    public let source: ImageReference
    /// The `index.json` entry: the registry's manifest or index (digest unchanged), the single
    /// selected platform's manifest, or a new index of the selected platforms.
    public let entry: Descriptor
    /// Manifests and indexes to store, with their exact bytes (the entry's own bytes included).
    public let manifests: [StoredManifest]
    /// The image manifests among them, with what each references.
    public let images: [ImageNode]
    /// The platforms in the entry (empty when the registry gave no platform information).
    public let platforms: [Platform]
    /// When ferry wrote a new index: the digest of the registry's original index.
    public let sourceIndexDigest: Digest?
    /// Blobs referenced but deliberately not carried (non-distributable layers with `urls`).
    public let omitted: [Descriptor]
    /// For an artifact found attached to another image (a signature, attestation, SBOM or
    /// other referrer): the manifest digest it is attached to.
    public var subject: Digest? = nil
    /// Where an images file intends the image to go (informational, `dev.ferry.destinations`).
    public var destinations: [ImageReference] = []

    /// The name written into the bundle (`org.opencontainers.image.ref.name`).
    public var name: String { source.description }

    /// Every config and layer descriptor, in manifest order (with repeats).
    public var blobs: [Descriptor] { images.flatMap(\.manifest.blobs) }

    public init(source: ImageReference, entry: Descriptor, manifests: [StoredManifest], images: [ImageNode], platforms: [Platform],
                sourceIndexDigest: Digest?, omitted: [Descriptor]) {
        self.source = source
        self.entry = entry
        self.manifests = manifests
        self.images = images
        self.platforms = platforms
        self.sourceIndexDigest = sourceIndexDigest
        self.omitted = omitted
    }
}

/// A manifest or index with its exact bytes.
public struct StoredManifest: Sendable {
    public let descriptor: Descriptor
    public let bytes: [UInt8]

    public init(descriptor: Descriptor, bytes: [UInt8]) {
        self.descriptor = descriptor
        self.bytes = bytes
    }
}

/// One image manifest and its config (fetched while resolving: small, and needed for the
/// platform of single-platform images).
public struct ImageNode: Sendable {
    public let descriptor: Descriptor
    public let manifest: ImageManifest
    /// The config's verified bytes, while a resolver's memory budget for them lasts; nil past
    /// it, and the config is fetched again with the layers (`ConfigBudget`).
    public let config: [UInt8]?
    public let platform: Platform?

    public init(descriptor: Descriptor, manifest: ImageManifest, config: [UInt8]?, platform: Platform?) {
        self.descriptor = descriptor
        self.manifest = manifest
        self.config = config
        self.platform = platform
    }
}
