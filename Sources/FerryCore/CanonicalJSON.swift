import Foundation

/// The one JSON encoding of every document ferry writes (index.json, manifests and indexes it
/// builds, the content index, part indexes, Docker metadata): keys sorted and `/` unescaped, so
/// the same value always gives the same bytes, and so the same digest.
public enum CanonicalJSON {
    /// `pretty` adds line breaks and indentation (files people read: the part index).
    public static func encode<Value: Encodable>(_ value: Value, pretty: Bool = false) throws -> [UInt8] {
        Array(try encoder(pretty: pretty).encode(value))
    }

    /// The encoder of the canonical form: whole documents and, one element at a time, the
    /// large arrays of a `Document` come out of the same settings.
    static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One array to put into a shell document: its key and its elements, each made from a
    /// source value when it is encoded, so the elements never exist as one array of their own.
    public struct Fill: Sendable {
        let key: String?
        /// Emits `[`, each encoded element with commas between, and `]`.
        let emit: @Sendable (_ encoder: JSONEncoder, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

        /// The array of `elements` as they are, under `key` (nil: a top-level array).
        public init<Element: Encodable & Sendable>(_ key: String?, _ elements: [Element]) {
            self.init(key, elements) { $0 }
        }

        /// The array of `transform(source)` for each source value, under `key`.
        public init<Source: Sendable, Element: Encodable>(_ key: String?, _ sources: [Source],
                                                         _ transform: @escaping @Sendable (Source) throws -> Element) {
            self.key = key
            emit = { encoder, sink in
                try withUnsafeBytes(of: UInt8(ascii: "["), sink)
                for (position, source) in sources.enumerated() {
                    if position > 0 { try withUnsafeBytes(of: UInt8(ascii: ","), sink) }
                    try encoder.encode(try transform(source)).withUnsafeBytes(sink)
                }
                try withUnsafeBytes(of: UInt8(ascii: "]"), sink)
            }
        }
    }

    /// A canonical document described rather than held: its bytes are made piece by piece each
    /// time they are asked for, so a writer can learn its size and digest, then stream it into
    /// place, without the whole document ever being in memory (a 10,000-image bundle's
    /// metadata is 17 MB, and held as arrays that grew by doubling it was a quarter of an
    /// export's peak). The same value always gives the same bytes, the bytes `encode` gives
    /// the whole value: JSONEncoder first builds a tree of the whole value, several times the
    /// size of its output, which element by element it never does.
    public struct Document: Sendable {
        enum Piece: Sendable {
            case bytes(ArraySlice<UInt8>)
            case array(Fill)
        }

        let pieces: [Piece]

        /// Bytes as they are.
        public init(bytes: [UInt8]) { pieces = [.bytes(bytes[...])] }

        /// One top-level array.
        public init(array: Fill) { pieces = [.array(array)] }

        /// `shell` is an object encoded with its large arrays left empty; each fill's elements
        /// go where its `"key":[]` is. The LAST `"key":[]` of the shell is taken: with sorted
        /// keys, a nested object with the same key and an empty array can only come before the
        /// top-level key in the documents ferry fills (a content index's `base.blobs` before
        /// its `blobs`).
        public init(_ shell: [UInt8], filling fills: [Fill]) throws(FerryCoreError) {
            var places: [(open: Int, fill: Fill)] = []
            for fill in fills {
                let key = fill.key ?? ""
                let needle = Array("\"\(key)\":[]".utf8)
                var start = shell.count - needle.count
                while start >= 0 && !shell[start..<(start + needle.count)].elementsEqual(needle) { start -= 1 }
                guard start >= 0 else { throw .encoding(document: key, reason: "no empty \(key) array to fill") }
                places.append((start + needle.count - 2, fill))
            }
            var pieces: [Piece] = []
            var copied = 0
            for place in places.sorted(by: { $0.open < $1.open }) {
                pieces += [.bytes(shell[copied..<place.open]), .array(place.fill)]
                copied = place.open + 2
            }
            pieces.append(.bytes(shell[copied...]))
            self.pieces = pieces
        }

        /// Hands the bytes to `sink` in order, a piece at a time (an element, or a stretch of
        /// the shell).
        public func write(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws(FerryCoreError) {
            let encoder = CanonicalJSON.encoder()
            do {
                for piece in pieces {
                    switch piece {
                    case .bytes(let bytes): try bytes.withUnsafeBytes(sink)
                    case .array(let fill): try fill.emit(encoder, sink)
                    }
                }
            } catch let error as FerryCoreError {
                throw error
            } catch {
                throw .encoding(document: "JSON", reason: "\(error)")
            }
        }

        /// Size and SHA-256 of the bytes, made and dropped piece by piece.
        public func measure() throws(FerryCoreError) -> (size: Int, digest: Digest) {
            var hasher = DigestHasher()
            var size = 0
            try write { piece in
                size += piece.count
                hasher.update(piece)
            }
            return (size, hasher.finalize())
        }

        /// The whole document in one buffer.
        public func bytes() throws(FerryCoreError) -> [UInt8] {
            var bytes: [UInt8] = []
            try write { bytes.append(contentsOf: $0) }
            return bytes
        }
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
