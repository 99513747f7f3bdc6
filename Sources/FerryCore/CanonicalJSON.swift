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

    /// The canonical bytes of `elements` as an array, the same bytes `encode(elements)` gives,
    /// made one element at a time. JSONEncoder first builds a tree of the whole value, several
    /// times the size of its output; for the arrays that grow with a list (content index rows,
    /// `index.json` entries, `manifest.json` elements) that tree was most of an export's memory
    /// at 10,000 images. Element by element, memory follows the output.
    public static func encodeArray<Element: Encodable>(_ elements: [Element]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try appendArray(elements, to: &bytes)
        return bytes
    }

    static func appendArray<Element: Encodable>(_ elements: [Element], to bytes: inout [UInt8]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        bytes.append(UInt8(ascii: "["))
        for (position, element) in elements.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += try encoder.encode(element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// One array to put into a shell document: its key and its elements.
    public struct Fill: Sendable {
        let key: String
        let append: @Sendable (inout [UInt8]) throws -> Void

        public init<Element: Encodable & Sendable>(_ key: String, _ elements: [Element]) {
            self.key = key
            append = { bytes in try CanonicalJSON.appendArray(elements, to: &bytes) }
        }
    }

    /// The canonical bytes of an object whose large arrays are encoded one element at a time:
    /// `shell` is that object encoded with those arrays left empty, and each fill's elements
    /// go where its `"key":[]` is, in one pass into one buffer. The LAST `"key":[]` of the
    /// shell is taken: with sorted keys, a nested object with the same key and an empty array
    /// can only come before the top-level key in the documents ferry fills (a content index's
    /// `base.blobs` before its `blobs`).
    public static func fill(_ shell: [UInt8], with fills: [Fill]) throws(FerryCoreError) -> [UInt8] {
        var places: [(open: Int, fill: Fill)] = []
        for fill in fills {
            let needle = Array("\"\(fill.key)\":[]".utf8)
            var start = shell.count - needle.count
            while start >= 0 && !shell[start..<(start + needle.count)].elementsEqual(needle) { start -= 1 }
            guard start >= 0 else { throw .encoding(document: fill.key, reason: "no empty \(fill.key) array to fill") }
            places.append((start + needle.count - 2, fill))
        }
        var bytes: [UInt8] = []
        var copied = 0
        do {
            for place in places.sorted(by: { $0.open < $1.open }) {
                bytes += shell[copied..<place.open]
                try place.fill.append(&bytes)
                copied = place.open + 2
            }
        } catch {
            throw .encoding(document: "JSON", reason: "\(error)")
        }
        bytes += shell[copied...]
        return bytes
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
