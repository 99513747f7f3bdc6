import Foundation

/// The one JSON encoding of every document ferry writes (index.json, manifests and indexes it
/// builds, the content index, part indexes, Docker metadata): keys sorted and `/` unescaped, so
/// the same value always gives the same bytes, and so the same digest.
public enum CanonicalJSON {
    /// `pretty` adds line breaks and indentation (files people read: the part index).
    public static func encode<Value: Encodable>(_ value: Value, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}

extension ImageIndex {
    /// A new index of `children` only, annotated with the digest of `original` (this index, as
    /// stored) in `dev.ferry.source-index-digest`: what export writes for a platform subset,
    /// and import for an input that holds only some of an index's platforms. Its digest is new.
    public func subset(_ children: [Descriptor], of original: Descriptor) throws -> StoredManifest {
        var subset = self
        subset.manifests = children
        var annotations = subset.annotations ?? [:]
        annotations[AnnotationKey.sourceIndexDigest] = original.digest.description
        subset.annotations = annotations
        let bytes = try CanonicalJSON.encode(subset)
        return StoredManifest(descriptor: Descriptor(mediaType: original.mediaType, digest: DigestHasher.digest(of: bytes),
                                                     size: Int64(bytes.count)),
                              bytes: bytes)
    }
}
