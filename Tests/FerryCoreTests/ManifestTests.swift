import FerryCore
import Foundation
import FerryTestSupport
import Testing

/// Rule: manifests are decoded from their exact bytes, must agree with the media type they
/// were announced with, and ambiguous documents are refused.
@Suite struct ManifestTests {
    static let digest = "sha256:" + String(repeating: "1b", count: 32)

    /// Every example in `formats/oci-layout/examples` decodes.
    @Test func decodesLayoutExamples() throws {
        let manifest = try ParsedManifest.parse(try Fixtures.bytes("oci-layout/examples/image-manifest.json"),
                                                mediaType: .ociManifest, digest: nil)
        guard case .image(let image) = manifest else { Issue.record("not an image manifest"); return }
        #expect(!image.layers.isEmpty)

        let index = try ParsedManifest.parse(try Fixtures.bytes("oci-layout/examples/image-index.json"),
                                             mediaType: .ociIndex, digest: nil)
        guard case .index(let parsed) = index else { Issue.record("not an index"); return }
        #expect(parsed.manifests.allSatisfy { $0.platform != nil })

        let layoutIndex = try JSONDecoder().decode(ImageIndex.self, from: Data(try Fixtures.bytes("oci-layout/examples/index.json")))
        #expect(layoutIndex.manifests.count == 2)
        // The example's descriptors match the example documents byte for byte.
        for (entry, file) in zip(layoutIndex.manifests, ["image-manifest.json", "image-index.json"]) {
            let bytes = try Fixtures.bytes("oci-layout/examples/\(file)")
            #expect(entry.size == Int64(bytes.count))
            #expect(entry.digest == DigestHasher.digest(of: bytes))
        }
    }

    @Test(arguments: [
        // mediaType field disagrees with the announced type
        (#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#, MediaType.ociManifest),
        // CVE-2021-41190: both manifests and layers
        (#"{"schemaVersion":2,"manifests":[],"layers":[]}"#, MediaType.ociIndex),
        (#"{"schemaVersion":2,"manifests":[],"config":{"mediaType":"a","digest":"\#(digest)","size":1},"layers":[]}"#, MediaType.ociManifest),
        // wrong schema version
        (#"{"schemaVersion":1,"manifests":[]}"#, MediaType.ociIndex),
        // not JSON
        ("not json", MediaType.ociManifest),
        // malformed digest inside a descriptor
        (#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:../../x","size":1}]}"#, MediaType.ociIndex),
        // unsupported top-level type
        (#"{"schemaVersion":2}"#, MediaType("application/octet-stream")),
    ])
    func rejects(_ json: String, _ mediaType: MediaType) {
        #expect(throws: FerryCoreError.self) { try ParsedManifest.parse(Array(json.utf8), mediaType: mediaType, digest: nil) }
    }

    @Test func rejectsOversizedManifest() {
        let padding = String(repeating: " ", count: ParsedManifest.maximumSize)
        let json = #"{"schemaVersion":2,"manifests":[]}"# + padding
        #expect(throws: FerryCoreError.self) { try ParsedManifest.parse(Array(json.utf8), mediaType: .ociIndex, digest: nil) }
    }

    @Test(arguments: [
        (MediaType.ociIndex, true, false), (.dockerManifestList, true, false),
        (.ociManifest, false, true), (.dockerManifest, false, true),
        (.ociLayerGzip, false, false), ("application/vnd.example+json", false, false),
    ])
    func mediaTypeQuestions(_ type: MediaType, _ isIndex: Bool, _ isImage: Bool) {
        #expect(type.isIndex == isIndex)
        #expect(type.isImageManifest == isImage)
        #expect(type.isManifest == (isIndex || isImage))
    }
}
