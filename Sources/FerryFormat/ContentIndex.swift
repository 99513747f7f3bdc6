public import FerryCore
import Foundation

/// ferry's content index, the `ferry-index.json` member of a bundle (v1).
///
/// Spec: `formats/ferry-bundle/SPEC.md`. It pins every blob by digest and records where each
/// blob's bytes lie in the tar, so a reader can seek straight to them and a verifier can
/// prove completeness. Readers ignore unknown fields and refuse a higher `schemaVersion`.
public struct ContentIndex: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.ferry.bundle.index.v1+json"
    public static let memberName = "ferry-index.json"

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
    }

    public struct Image: Codable, Sendable, Equatable {
        public var source: String
        public var name: String
        public var digest: Digest
        public var mediaType: MediaType
        public var size: Int64
        public var platforms: [String]
        public var sourceDigest: Digest?
    }

    public struct Blob: Codable, Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        public var mediaType: MediaType
        /// Byte offset of the member's data in the tar.
        public var offset: Int64
    }

    /// How a split bundle (`--split-size`) is cut: the planned size of every part, in order
    /// (SPEC.md §8). Absent in an unsplit bundle.
    public struct Parts: Codable, Sendable, Equatable {
        public var maxPartSize: Int64
        public var sizes: [Int64]

        public init(maxPartSize: Int64, sizes: [Int64]) {
            self.maxPartSize = maxPartSize
            self.sizes = sizes
        }
    }

    public var schemaVersion: Int
    public var mediaType: String
    public var tool: Tool
    public var created: String
    public var images: [Image]
    public var blobs: [Blob]
    public var parts: Parts? = nil
    public var base: Base? = nil
    /// The SHA-256 of each metadata member, by member name: `oci-layout`, `index.json`,
    /// `manifest.json`, `repositories` (SPEC.md rule 3.7). Every name a reader takes from those
    /// members (annotations, RepoTags, `repositories`) is so bound to the content index, and
    /// through it to the signature: swapping two images' names changes a digest here (issue 15,
    /// item 1). Absent in bundles written before it existed.
    public var members: [String: Digest]? = nil
    /// What is attached to the images (signatures, attestations, SBOMs, referrer indexes;
    /// SPEC.md rule 3.6 and §13), in export order. Since bundle 1.1 they are listed here and not
    /// in `index.json`: containerd's and podman's loaders take every `index.json` entry as an
    /// image to unpack or load, and fail or fall back on artifacts (issue 17, item 2). Their blobs
    /// are in the pool like any other. Absent when there are none, and in 1.0 bundles, which
    /// list attachments in `index.json`.
    public var attachments: [Attachment]? = nil
    /// For one shard of a migration plan (`export --plan --shard`, SPEC.md §14): the plan's
    /// identity and the shard. Absent otherwise.
    public var plan: PlanOrigin? = nil

    public struct PlanOrigin: Codable, Sendable, Equatable {
        /// The SHA-256 of the plan file.
        public var digest: Digest
        /// The shard, counted from 0, and how many the plan has.
        public var shard: Int
        public var shards: Int

        public init(digest: Digest, shard: Int, shards: Int) {
            self.digest = digest
            self.shard = shard
            self.shards = shards
        }
    }

    public struct Attachment: Codable, Sendable, Equatable {
        /// The reference it was exported from (`repo:sha256-<hex>.sig`, `repo@sha256:…`).
        public var name: String
        public var digest: Digest
        public var mediaType: MediaType
        public var size: Int64
        /// The manifest it is attached to.
        public var subject: Digest

        public init(name: String, digest: Digest, mediaType: MediaType, size: Int64, subject: Digest) {
            self.name = name
            self.digest = digest
            self.mediaType = mediaType
            self.size = size
            self.subject = subject
        }

        /// The entry a reader walks and import pushes, named and linked as a 1.0 bundle's
        /// `index.json` entry was.
        public var descriptor: Descriptor {
            Descriptor(mediaType: mediaType, digest: digest, size: size,
                       annotations: [AnnotationKey.refName: name, AnnotationKey.containerdImageName: name, AnnotationKey.subject: subject.description])
        }
    }

    /// An incremental bundle (`--since`, SPEC.md §12): the earlier bundles it builds on, and
    /// the blobs its images need that it does not carry because those bundles did.
    public struct Base: Codable, Sendable, Equatable {
        /// Content index digests of the base bundles.
        public var bundles: [Digest]
        /// Blobs left out because a base bundle carried them, in plan order.
        public var blobs: [BaseBlob]

        public init(bundles: [Digest], blobs: [BaseBlob]) {
            self.bundles = bundles
            self.blobs = blobs
        }
    }

    public struct BaseBlob: Codable, Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        public var mediaType: MediaType

        public init(digest: Digest, size: Int64, mediaType: MediaType) {
            self.digest = digest
            self.size = size
            self.mediaType = mediaType
        }
    }

    /// Every blob a site that imported this bundle holds: the ones it carries and the ones it
    /// relied on its bases for (what a later `--since` of this bundle may leave out).
    public var knownBlobs: [Digest: Int64] {
        var known = Dictionary(blobs.map { ($0.digest, $0.size) }, uniquingKeysWith: { a, _ in a })
        for blob in base?.blobs ?? [] where known[blob.digest] == nil { known[blob.digest] = blob.size }
        return known
    }

    /// Canonical encoding: sorted keys, no escaped slashes, so equal indexes give equal bytes.
    public func encoded() throws -> [UInt8] {
        try document(blobs: blobs, { $0 }, images: images, { $0 }).bytes()
    }

    /// This index as a canonical document whose two arrays that grow with the list are made
    /// row by row as they are encoded: `blobs` from `blobSources`, `images` from
    /// `imageSources` (this value's own rows are not used). The same bytes as encoding the
    /// whole index, without JSONEncoder's tree of it or the rows held as values.
    func document<BlobSource: Sendable, ImageSource: Sendable>(
        blobs blobSources: [BlobSource], _ blob: @escaping @Sendable (BlobSource) throws -> Blob,
        images imageSources: [ImageSource], _ image: @escaping @Sendable (ImageSource) throws -> Image
    ) throws -> CanonicalJSON.Document {
        var shell = self
        shell.blobs = []
        shell.images = []
        return try CanonicalJSON.Document(try CanonicalJSON.encode(shell),
                                          filling: [.init("blobs", blobSources, blob), .init("images", imageSources, image)])
    }

    /// Decodes and checks the schema version.
    /// The content index of a ferry bundle read in place, or nil for any other input.
    package static func read(from store: any BlobStore) throws -> ContentIndex? {
        guard let tar = store as? TarBlobStore, tar.members[memberName] != nil else { return nil }
        return try decode(try tar.resolve(memberName).readAll(limit: 256 << 20))
    }

    /// The SHA-256 of the content index of a ferry bundle read in place (its identity), or nil
    /// for any other input.
    package static func digest(in store: any BlobStore) throws -> Digest? {
        guard let tar = store as? TarBlobStore, tar.members[memberName] != nil else { return nil }
        return DigestHasher.digest(of: try tar.resolve(memberName).readAll(limit: 256 << 20))
    }

    /// SPEC.md 3.7: the metadata members a reader takes image names from hash to the digests
    /// this index pins. Import checks this before it reads a single name, so a bundle whose
    /// names were swapped after it was made (and signed) is refused, not pushed under the other
    /// image's name (issue 15, item 1). `indexJSON` is the `index.json` the reader already holds.
    package func checkPinnedMembers(of store: any BlobStore, indexJSON: [UInt8]?) throws {
        guard let pins = members else { return }
        for (name, pinned) in pins.sorted(by: { $0.key < $1.key }) {
            let bytes: [UInt8]?
            if name == "index.json" {
                bytes = indexJSON
            } else if let tar = store as? TarBlobStore, tar.members[name] != nil {
                bytes = try tar.resolve(name).readAll(limit: 64 << 20)
            } else {
                bytes = nil
            }
            guard let bytes else {
                throw FerryFormatError.damaged(path: store.location, reason: "\(Self.memberName) pins \(name), which is not in the input")
            }
            let actual = DigestHasher.digest(of: bytes)
            guard actual == pinned else {
                throw FerryFormatError.damaged(path: store.location,
                                               reason: "\(name) hashes to \(actual), but \(Self.memberName) pins \(pinned): the image names in it are not the ones the bundle was made with")
            }
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> ContentIndex {
        let index = try JSONDecoder().decode(ContentIndex.self, from: Data(bytes))
        guard index.schemaVersion == 1 else {
            throw FerryFormatError.input(path: memberName, reason: "schemaVersion \(index.schemaVersion) is \(index.schemaVersion > 1 ? "newer than this ferry understands" : "not a content index version"); this ferry reads version 1")
        }
        return index
    }
}
