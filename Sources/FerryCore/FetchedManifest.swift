/// A manifest or index exactly as its source stored it.
public struct FetchedManifest: Sendable {
    /// The exact bytes: these travel, so the digest never changes.
    public let bytes: [UInt8]
    public let mediaType: MediaType
    /// The digest of `bytes` (computed here, never taken from a header).
    public let digest: Digest

    public init(bytes: [UInt8], mediaType: MediaType, digest: Digest) {
        self.bytes = bytes
        self.mediaType = mediaType
        self.digest = digest
    }

    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    public func parse() throws(FerryCoreError) -> ParsedManifest {
        try ParsedManifest.parse(bytes, mediaType: mediaType, digest: digest)
    }
}

