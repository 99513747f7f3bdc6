import FerryServe
import Testing

/// Rule (issue 19): a `Range` header gets RFC 9110's answer, exactly: a resumed pull asks for
/// the rest of a blob, and a wrong answer corrupts or stalls it.
@Suite struct ByteRangeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let header: String?
        let length: Int64
        let expected: ByteRange
        var testDescription: String { "\(header ?? "nil") of \(length)" }
    }

    @Test(arguments: [
        Case(header: nil, length: 1000, expected: .whole),
        Case(header: "bytes=0-499", length: 1000, expected: .part(lower: 0, upper: 499)),
        Case(header: "bytes=500-", length: 1000, expected: .part(lower: 500, upper: 999)),
        Case(header: "bytes=500-5000", length: 1000, expected: .part(lower: 500, upper: 999)),   // last clamped
        Case(header: "bytes=999-999", length: 1000, expected: .part(lower: 999, upper: 999)),
        Case(header: "bytes=-500", length: 1000, expected: .part(lower: 500, upper: 999)),       // suffix
        Case(header: "bytes=-5000", length: 1000, expected: .part(lower: 0, upper: 999)),        // suffix longer than the blob
        Case(header: " bytes= 10 - 20 ", length: 1000, expected: .part(lower: 10, upper: 20)),   // optional white space
        Case(header: "bytes=1000-", length: 1000, expected: .unsatisfiable),                     // starts at the end
        Case(header: "bytes=5000-6000", length: 1000, expected: .unsatisfiable),
        Case(header: "bytes=-0", length: 1000, expected: .unsatisfiable),
        Case(header: "bytes=0-", length: 0, expected: .unsatisfiable),                           // an empty blob has no byte 0
        Case(header: "bytes=99999999999999999999999-", length: 1000, expected: .unsatisfiable),  // saturates, past the end
        Case(header: "bytes=0-99999999999999999999999", length: 1000, expected: .part(lower: 0, upper: 999)),
        Case(header: "bytes=20-10", length: 1000, expected: .whole),                             // invalid: ignored
        Case(header: "bytes=0-1,5-6", length: 1000, expected: .whole),                           // several: whole blob
        Case(header: "items=0-10", length: 1000, expected: .whole),                              // other unit
        Case(header: "bytes=abc-", length: 1000, expected: .whole),
        Case(header: "bytes=-", length: 1000, expected: .whole),
        Case(header: "bytes=+5-10", length: 1000, expected: .whole),
        Case(header: "bytes=0x10-", length: 1000, expected: .whole),
    ])
    func answers(_ test: Case) {
        #expect(ByteRange(header: test.header, length: test.length) == test.expected)
    }

    @Test func contentRangeNamesTheBytesOrTheLength() {
        #expect(ByteRange.part(lower: 500, upper: 999).contentRange(length: 1000) == "bytes 500-999/1000")
        #expect(ByteRange.unsatisfiable.contentRange(length: 1000) == "bytes */1000")
        #expect(ByteRange.whole.contentRange(length: 1000) == nil)
    }
}
