import FerryCore
import FerryTestSupport
import Testing

/// Rule: image lists parse as `formats/image-list/SPEC.md` says; the examples are golden.
@Suite struct ImageListTests {
    @Test func exampleListGivesExpectedReferences() throws {
        let parsed = try ImageList.parse(try Fixtures.text("image-list/examples/images.txt"), source: "images.txt")
        let expected = try Fixtures.text("image-list/examples/images.expected.txt")
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(parsed.map(\.description) == expected)
    }

    static let invalid: [String] = ((try? Fixtures.text("image-list/examples/invalid-lines.txt")) ?? "")
        .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }

    @Test func invalidTableIsPresent() { #expect(Self.invalid.count >= 5) }

    @Test(arguments: invalid)
    func rejectsLine(_ line: String) {
        do {
            _ = try ImageList.parse("# first line\n" + line + "\n", source: "list")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.lines.count == 1)
            #expect(error.lines.first?.hasPrefix("list:2:") == true)
        }
    }
}
