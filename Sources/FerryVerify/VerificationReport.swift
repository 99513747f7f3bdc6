import FerryFormat
/// The facts `ferry verify` established about one input (`formats/ferry-bundle/SPEC.md` §7).
///
/// A report is returned whenever the input could be read, damaged or not: `ok` is true only when
/// `problems` is empty. Each problem names the exact damage (member, blob digest, expected and
/// actual value, byte range) and every image that needs the damaged part, so a user knows what
/// to copy again and which images are safe to import meanwhile.
public struct VerificationReport: Encodable, Sendable {
    /// What the input turned out to be.
    public enum InputKind: String, Encodable, Sendable {
        /// A tar with ferry's content index (`ferry-index.json`).
        case ferryBundle = "ferry-bundle"
        /// A tar holding an OCI image layout and nothing else ferry knows.
        case ociArchive = "oci-archive"
        /// A tar that is an OCI layout and a docker-archive (Docker 25+ `docker save`).
        case dockerArchive = "docker-archive"
        /// An OCI image layout directory.
        case ociLayout = "oci-layout"
        /// A tar whose member list could not be read to its end (see `problems`).
        case tar
    }

    /// Whether one `index.json` entry can be used as it is.
    public enum ImageStatus: String, Encodable, Sendable {
        /// Every blob it needs is present, of the right size, and hashes to its digest.
        case ok
        /// Something it needs is present but wrong (digest, size, unparseable manifest, or
        /// metadata that points readers at the wrong bytes).
        case damaged
        /// Something it needs is absent (and nothing it needs is damaged).
        case incomplete
    }

    /// One `index.json` entry.
    public struct Image: Encodable, Sendable, Equatable {
        /// The name from the entry's annotations (`ImageNaming`), or its digest when unnamed.
        public var name: String
        /// The entry's digest (`sha256:<hex>`).
        public var digest: String
        public var status: ImageStatus
    }

    /// A layer that may be absent because it must not be redistributed (a descriptor with
    /// `urls`, or Docker's foreign layer type); absent is not damaged.
    public struct OmittedBlob: Encodable, Sendable, Equatable {
        public var digest: String
        public var mediaType: String
        /// Where the layer's owner publishes it.
        public var urls: [String]
        /// For an index child the archive does not hold (a partial index): its platform.
        public var platform: String? = nil
        /// Every image that references it.
        public var affectedImages: [String]
    }

    /// The input as given (absolute path from the CLI).
    public var input: String
    /// What the input turned out to be.
    public var kind: InputKind
    /// Blobs whose size and digest were checked (each distinct member once).
    public var blobsChecked: Int
    /// Bytes hashed to check them.
    public var bytesChecked: Int64
    /// One element per `index.json` entry, in order.
    public var images: [Image]
    /// Every problem found, in the order the checks ran.
    public var problems: [VerificationProblem]
    /// Non-distributable layers the input does not carry (informational).
    public var omitted: [OmittedBlob]
    /// `sha256:<hex>` of the exact bytes of `ferry-index.json`, when the input has one: the
    /// digest `ferry export` printed, which pins the whole bundle (SPEC.md rule 6.5).
    public var contentIndexDigest: String?
    /// True when no problem was found.
    public var ok: Bool
    /// An incremental bundle: its base bundles' content index digests, the blobs its images
    /// take from them, and whether those were checked against bases given with `--base`.
    public var baseBundles: [String]? = nil
    public var fromBase: [OmittedBlob]? = nil
    public var baseChecked: Bool? = nil
}

/// One piece of damage: what is wrong, where, and which images it breaks.
public struct VerificationProblem: Encodable, Sendable, Hashable {
    /// The check that failed. Raw values are the stable names used in JSON output.
    public enum Kind: String, Encodable, Sendable, Hashable, CaseIterable {
        /// A tar header is unreadable (bad checksum or number) after the first one.
        case tarHeader = "tar-header"
        /// The file ends before the archive does.
        case truncated
        /// Non-zero bytes after the end-of-archive marker.
        case trailingGarbage = "trailing-garbage"
        /// Two members with the same normalised name (a later one could shadow a verified one).
        case duplicateMember = "duplicate-member"
        /// A member name that could leave the archive or is ambiguous (`..`, absolute, NUL).
        case unsafeMemberName = "unsafe-member-name"
        /// A member type or name that this kind of archive must not contain.
        case unexpectedMember = "unexpected-member"
        /// A member under `blobs/` whose name is not a valid digest.
        case invalidBlobName = "invalid-blob-name"
        /// Metadata members out of the order a ferry bundle prescribes (SPEC.md rule 1.1).
        case memberOrder = "member-order"
        /// A tar header that departs from the conventions ferry writes (SPEC.md rule 2.1):
        /// not ustar, another mode, owner or mtime. Readers do not care; it tells a bundle
        /// rewritten by another tool from one ferry wrote.
        case headerConvention = "header-convention"
        /// `oci-layout`, `index.json` (or another required member) is absent.
        case missingMember = "missing-member"
        /// `oci-layout`, `index.json`, `manifest.json` or `ferry-index.json` does not parse or
        /// has the wrong version or media type.
        case invalidMetadata = "invalid-metadata"
        /// A blob's size differs from what its descriptor says.
        case sizeMismatch = "size-mismatch"
        /// A blob's content does not hash to its digest.
        case digestMismatch = "digest-mismatch"
        /// The blob could not be read (I/O error on the medium).
        case readError = "read-error"
        /// A blob that `index.json` or a manifest needs is absent.
        case missingBlob = "missing-blob"
        /// A manifest or index does not parse, or disagrees with its descriptor's media type.
        case malformedManifest = "malformed-manifest"
        /// `manifest.json` disagrees with `index.json` or names members that do not exist.
        case dockerManifestMismatch = "docker-manifest-mismatch"
        /// `ferry-index.json` disagrees with the tar or with `index.json`.
        case contentIndexMismatch = "content-index-mismatch"
        /// The content index's SHA-256 is not the one the user expected.
        case contentIndexDigest = "content-index-digest"
        /// A ferry bundle carries a blob nothing references (SPEC.md rule 7.7).
        case unreferencedBlob = "unreferenced-blob"
        case signature
    }

    /// The check that failed.
    public var kind: Kind
    /// The member (tar) or file (layout) the problem is in, relative to the input.
    public var member: String?
    /// The blob concerned.
    public var digest: String?
    /// What the bundle promised (a digest, a size, an offset, a path).
    public var expected: String?
    /// What was found instead.
    public var actual: String?
    /// Where the damaged bytes start, in bytes from the start of the input (tar) or file (layout).
    public var offset: Int64?
    /// How many bytes the damaged range spans.
    public var length: Int64?
    /// Every image (by name, or digest when unnamed) that needs the damaged part.
    public var affectedImages: [String]
    /// A sentence that states all of the above for a human.
    public var message: String
    /// In a split bundle: the part file holding `offset` (and the offset inside it).
    public var part: String? = nil
}
