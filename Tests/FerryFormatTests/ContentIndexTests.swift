import FerryCore
import FerryFormat
import FerryTestSupport
import Foundation
import Testing

/// Rules (SPEC.md §6): the spec's example content index decodes and re-encodes to the same
/// bytes; one from a newer ferry (unknown `schemaVersion`) is refused as bad input, naming the
/// member (issue 16: it was reported as an output error, exit 74 instead of 65).
@Suite struct ContentIndexTests {
    @Test func exampleRoundTrips() throws {
        let bytes = try Fixtures.bytes("ferry-bundle/examples/ferry-index.json")
        let index = try ContentIndex.decode(bytes)
        #expect(try index.encoded() == bytes)
    }

    /// The row-by-row encoding (for memory) gives the bytes of encoding the whole index, with
    /// every optional part present or absent, a base whose own `blobs` is empty included.
    @Test(arguments: [0, 1, 2, 3])
    func rowByRowEncodingIsTheWholeEncoding(_ variant: Int) throws {
        var index = try ContentIndex.decode(try Fixtures.bytes("ferry-bundle/examples/ferry-index.json"))
        let digest = try Digest(parsing: "sha256:" + String(repeating: "c", count: 64))
        switch variant {
        case 1:
            index.base = ContentIndex.Base(bundles: [digest], blobs: [])
            index.plan = ContentIndex.PlanOrigin(digest: digest, shard: 1, shards: 4)
            index.parts = ContentIndex.Parts(maxPartSize: 4096, sizes: [4096, 100])
            index.attachments = [ContentIndex.Attachment(name: "r.local/a:sha256-\(digest.hex).sig", digest: digest,
                                                         mediaType: .ociManifest, size: 10, subject: digest)]
        case 2:
            index.base = ContentIndex.Base(bundles: [digest], blobs: [ContentIndex.BaseBlob(digest: digest, size: 3, mediaType: .ociLayerGzip)])
        case 3:
            index.blobs = []
            index.images = []
        default:
            break
        }
        #expect(try index.encoded() == CanonicalJSON.encode(index))
        #expect(try ContentIndex.decode(try index.encoded()) == index)
    }

    @Test(arguments: [2, 0, 17])
    func unknownSchemaIsAnInputError(_ version: Int) throws {
        let text = String(decoding: try Fixtures.bytes("ferry-bundle/examples/ferry-index.json"), as: UTF8.self)
        let changed = text.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":\(version)")
        #expect(changed != text)
        do {
            _ = try ContentIndex.decode(Array(changed.utf8))
            Issue.record("schemaVersion \(version) was accepted")
        } catch FerryFormatError.input(let path, let reason) {
            #expect(path == ContentIndex.memberName)
            #expect(reason.contains("schemaVersion \(version)"), "\(reason)")
        }
    }
}
