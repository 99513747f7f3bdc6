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
