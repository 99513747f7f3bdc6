/// Everything one run writes: the images and ONE pool of distinct blobs.
///
/// Each blob appears once however many images share it. Blobs already in memory (manifests,
/// indexes, configs) carry their bytes; layers are fetched during the transfer.
public struct CopyPlan: Sendable {
    public struct Blob: Sendable {
        public let descriptor: Descriptor
        /// The bytes when already fetched and verified (manifests, configs).
        public let bytes: [UInt8]?
        /// Index into `images` of every image that needs this blob (for error reports).
        public var users: [Int]
        /// Index into `images` of the image to fetch it from (its first user); an index, not
        /// the reference itself, which was a hundred bytes more in each of 20,000 blobs.
        public let origin: Int
    }

    public let images: [ResolvedImage]
    public private(set) var blobs: [Blob] = []
    /// Blobs the images need but this plan leaves to earlier bundles (`--since`).
    public private(set) var external: [Descriptor] = []
    /// Content index digests of those earlier bundles.
    public private(set) var baseBundles: [Digest] = []

    /// Orders blobs as the bundle stores them: indexes and manifests, then configs, then
    /// layers; each group in first-seen order.
    public init(images: [ResolvedImage]) {
        self.images = images
        // One array a group, so the pool is never copied to be sorted (at 10,000 images the
        // copies were 14 MB at the peak of an export).
        var groups: [[Blob]] = [[], [], []]
        var position: [Digest: (group: Int, index: Int)] = [:]
        func add(_ descriptor: Descriptor, bytes: [UInt8]?, user: Int, group: Int) {
            if let (existingGroup, index) = position[descriptor.digest] {
                // Images are added in order, so a user already listed is the last one.
                if groups[existingGroup][index].users.last != user { groups[existingGroup][index].users.append(user) }
                return
            }
            position[descriptor.digest] = (group, groups[group].count)
            groups[group].append(Blob(descriptor: descriptor, bytes: bytes, users: [user], origin: user))
        }
        for (user, image) in images.enumerated() {
            for manifest in image.manifests { add(manifest.descriptor, bytes: manifest.bytes, user: user, group: 0) }
            for node in image.images { add(node.manifest.config, bytes: node.config, user: user, group: 1) }
            let omitted = Set(image.omitted.map(\.digest))
            for node in image.images {
                for layer in node.manifest.layers where !omitted.contains(layer.digest) {
                    add(layer, bytes: nil, user: user, group: 2)
                }
            }
        }
        // Stable: groups in order, first-seen order inside each group.
        position = [:]
        blobs.reserveCapacity(groups.reduce(0) { $0 + $1.count })
        for group in groups.indices {
            blobs += groups[group]
            groups[group] = []
        }
    }

    /// Leaves out the configs and layers that `bases` already carried (same digest and size):
    /// they are recorded in `external` instead of being fetched and written. Manifests and
    /// indexes always stay: they are small, and they let the bundle be walked, verified and
    /// imported on its own.
    /// `known` maps each blob the bases carried or relied on to its size; `bases` are their
    /// content index digests, recorded in the new bundle.
    public mutating func leaveOut(known: [Digest: Int64], bases: [Digest]) {
        baseBundles = bases
        var kept: [Blob] = []
        for blob in blobs {
            if !blob.descriptor.mediaType.isManifest, known[blob.descriptor.digest] == blob.descriptor.size {
                external.append(blob.descriptor)
            } else {
                kept.append(blob)
            }
        }
        blobs = kept
    }

    /// Sum of the distinct blobs' sizes.
    public var uniqueBytes: Int64 { blobs.reduce(0) { $0 + $1.descriptor.size } }

    /// Bytes that would have been stored twice or more without a shared pool.
    public var dedupSavedBytes: Int64 {
        blobs.reduce(0) { $0 + Int64($1.users.count - 1) * $1.descriptor.size }
    }

    /// The reference to fetch `blob` from.
    public func origin(of blob: Blob) -> ImageReference { images[blob.origin].source }

    /// Names of the images that use a blob.
    public func users(of blob: Blob) -> [String] { blob.users.map { images[$0].name } }
}
