import FerryCore
import Foundation
import Testing

/// Rule (issue 18, memory): the documents ferry encodes element by element (`index.json`, the
/// content index's rows) are byte for byte what encoding them whole gives, so bundles do not
/// change with the way they are encoded.
@Suite struct CanonicalJSONTests {
    static func digest(_ fill: Character) throws -> Digest {
        try Digest(parsing: "sha256:" + String(repeating: fill, count: 64))
    }

    static func entries(_ count: Int) throws -> [Descriptor] {
        try (0..<count).map { position in
            var entry = Descriptor(mediaType: position % 2 == 0 ? .ociManifest : .dockerManifestList,
                                   digest: try digest(Character(String(position % 10))), size: Int64(100 + position))
            entry.annotations = ["org.opencontainers.image.ref.name": "registry.local/team/app-\(position):1.\(position)",
                                 "io.containerd.image.name": "registry.local/team/app-\(position):1.\(position)"]
            if position % 3 == 0 { entry.platform = Platform(os: "linux", architecture: "arm64", variant: "v8") }
            return entry
        }
    }

    @Test(arguments: [0, 1, 7])
    func arrayElementByElementIsTheWholeArray(_ count: Int) throws {
        let elements = try Self.entries(count)
        #expect(try CanonicalJSON.Document(array: .init(nil, elements)).bytes() == CanonicalJSON.encode(elements))
    }

    @Test(arguments: [0, 1, 7])
    func filledIndexIsTheWholeIndex(_ count: Int) throws {
        var index = ImageIndex(schemaVersion: 2, mediaType: .ociIndex, manifests: try Self.entries(count))
        index.annotations = ["dev.ferry.note": "a/b \"quoted\" é"]
        var shell = index
        shell.manifests = []
        let filled = try CanonicalJSON.Document(try CanonicalJSON.encode(shell), filling: [.init("manifests", index.manifests)]).bytes()
        #expect(filled == (try CanonicalJSON.encode(index)))
    }

    @Test func aMissingEmptyArrayIsAnError() throws {
        let shell = try CanonicalJSON.encode(["manifests": [1]])
        #expect(throws: FerryCoreError.self) { try CanonicalJSON.Document(shell, filling: [.init("manifests", [2])]) }
    }

    /// A document is measured, then made again to be written: both must agree with its bytes,
    /// or a bundle's planned sizes and member digests would not match what it holds.
    @Test(arguments: [0, 1, 7])
    func measuredDocumentIsItsBytes(_ count: Int) throws {
        let entries = try Self.entries(count)
        let shell = try CanonicalJSON.encode(ImageIndex(schemaVersion: 2, mediaType: .ociIndex, manifests: []))
        let document = try CanonicalJSON.Document(shell, filling: [.init("manifests", Array(0..<count)) { entries[$0] }])
        let bytes = try document.bytes()
        let measured = try document.measure()
        #expect(measured.size == bytes.count)
        #expect(measured.digest == DigestHasher.digest(of: bytes))
        #expect(bytes == (try CanonicalJSON.encode(ImageIndex(schemaVersion: 2, mediaType: .ociIndex, manifests: entries))))
        var pieces = 0
        try document.write { _ in pieces += 1 }
        #expect(pieces >= 2 + count, "written whole rather than piece by piece")
    }

    @Test func aFailingTransformIsAnEncodingError() throws {
        struct Refused: Error {}
        let document = CanonicalJSON.Document(array: .init(nil, [1, 2]) { (value: Int) -> Int in
            if value == 2 { throw Refused() }
            return value
        })
        #expect(throws: FerryCoreError.self) { try document.measure() }
    }
}
