public import FerryCore
import Foundation

/// A migration plan, the file `ferry plan` writes (`formats/plan/SPEC.md`, version 1): every
/// image pinned by digest with the manifests and blobs it needs, each assigned to one of
/// `shards.count` shards. The SHA-256 of the file is the plan's identity: every shard's bundle
/// records it, and `verify --plan` checks a target against it.
///
/// Everything in it is ordered by value, never by input order or by when an answer arrived, so
/// the same images, digests and options give the same bytes whatever order the list was in.
public struct MigrationPlan: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.ferry.plan.v1+json"

    /// A manifest or index by digest, as a descriptor without the extras.
    public struct Manifest: Codable, Sendable, Equatable, Hashable {
        public var digest: Digest
        public var mediaType: MediaType
        public var size: Int64

        public init(digest: Digest, mediaType: MediaType, size: Int64) {
            self.digest = digest
            self.mediaType = mediaType
            self.size = size
        }
    }

    public struct Image: Codable, Sendable, Equatable {
        /// The reference as requested, normalised: the name the image gets in its bundle.
        public var reference: String
        /// What export fetches: the registry's manifest or index at planning time. A tag that
        /// moves later does not change what a shard exports.
        public var pinned: Digest
        /// The entry the bundle gets and import tags: the pinned manifest itself, the selected
        /// platform's manifest, or the index ferry builds of the selected platforms.
        public var entry: Manifest
        /// Every manifest and index stored for the image, the entry's included.
        public var manifests: [Manifest]
        /// Its configs and layers, by digest (sizes in `blobs` of the plan), sorted.
        public var blobs: [Digest]
        /// For an attachment (signature, attestation, SBOM, referrer): the manifest it is
        /// attached to. Attachments are always in their subject's shard.
        public var subject: Digest?
        public var shard: Int

        public init(reference: String, pinned: Digest, entry: Manifest, manifests: [Manifest], blobs: [Digest],
                    subject: Digest? = nil, shard: Int = 0) {
            self.reference = reference
            self.pinned = pinned
            self.entry = entry
            self.manifests = manifests
            self.blobs = blobs
            self.subject = subject
            self.shard = shard
        }
    }

    public struct Blob: Codable, Sendable, Equatable {
        public var digest: Digest
        public var size: Int64

        public init(digest: Digest, size: Int64) {
            self.digest = digest
            self.size = size
        }
    }

    /// What one shard holds: the figures `ferry plan` and `ferry inspect PLAN` print.
    public struct Shard: Codable, Sendable, Equatable {
        public var images: Int
        /// Its distinct blobs' bytes: about the size of its bundle.
        public var bytes: Int64
        /// Of `bytes`, the part also stored in another shard.
        public var sharedBytes: Int64

        public init(images: Int, bytes: Int64, sharedBytes: Int64) {
            self.images = images
            self.bytes = bytes
            self.sharedBytes = sharedBytes
        }
    }

    public var schemaVersion: Int
    public var mediaType: String
    /// RFC 3339, UTC: the `created` of every shard's bundle (planning time, or
    /// SOURCE_DATE_EPOCH), so two exports of one shard give the same bytes.
    public var created: String
    /// The platform selection export applies (`os/arch[/variant]`; empty: all).
    public var platforms: [String]
    /// Whether attachments were looked for (they are listed as images with a `subject`).
    public var referrers: Bool
    public var shards: [Shard]
    /// Sorted by reference.
    public var images: [Image]
    /// Every blob any image needs, once, sorted by digest.
    public var blobs: [Blob]

    public init(created: String, platforms: [String], referrers: Bool, shards: [Shard], images: [Image], blobs: [Blob]) {
        schemaVersion = 1
        mediaType = Self.mediaType
        self.created = created
        self.platforms = platforms
        self.referrers = referrers
        self.shards = shards
        self.images = images
        self.blobs = blobs
    }

    /// The images of shard `index`: subjects sorted by reference, then their attachments.
    public func images(inShard index: Int) -> [Image] {
        let members = images.filter { $0.shard == index }
        return members.filter { $0.subject == nil } + members.filter { $0.subject != nil }
    }

    /// The file's bytes: canonical JSON and a final newline.
    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.encode(self) + [0x0a]
    }

    /// Reads a plan file's bytes and checks what a reader must: the version, and that every
    /// image's shard and blobs are ones the plan declares.
    public static func decode(_ bytes: [UInt8], path: String) throws(FerryPlanError) -> MigrationPlan {
        let plan: MigrationPlan
        do {
            plan = try JSONDecoder().decode(MigrationPlan.self, from: Data(bytes))
        } catch {
            throw .malformed(path: path, reason: "not a ferry plan: \(error)")
        }
        guard plan.mediaType == mediaType else {
            throw .malformed(path: path, reason: "mediaType is \(plan.mediaType), not \(mediaType)")
        }
        guard plan.schemaVersion == 1 else {
            throw .malformed(path: path, reason: "schemaVersion \(plan.schemaVersion) is not 1, the version this ferry reads")
        }
        guard !plan.shards.isEmpty else { throw .malformed(path: path, reason: "it has no shards") }
        let known = Set(plan.blobs.map(\.digest))
        for image in plan.images {
            guard plan.shards.indices.contains(image.shard) else {
                throw .malformed(path: path, reason: "\(image.reference) is in shard \(image.shard), but the plan has \(plan.shards.count)")
            }
            if let missing = image.blobs.first(where: { !known.contains($0) }) {
                throw .malformed(path: path, reason: "\(image.reference) needs blob \(missing), which the plan's blob list lacks")
            }
        }
        return plan
    }

    /// The plan in `path` and its identity (the SHA-256 of the file).
    public static func load(_ path: String) throws(FerryPlanError) -> (plan: MigrationPlan, digest: Digest) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .malformed(path: path, reason: "cannot read the file")
        }
        return try identified(Array(data), path: path)
    }

    /// A plan file's bytes, already read, and its identity.
    public static func identified(_ bytes: [UInt8], path: String) throws(FerryPlanError) -> (plan: MigrationPlan, digest: Digest) {
        guard bytes.count <= 1 << 30 else { throw .malformed(path: path, reason: "larger than 1 GiB") }
        return (try decode(bytes, path: path), DigestHasher.digest(of: bytes))
    }
}
