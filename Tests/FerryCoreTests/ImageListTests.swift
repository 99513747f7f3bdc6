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

    /// Rule 12a: `chart:` and `file:` lines are kept as written (comments cut) for export, and
    /// refused, with their line, where only images are taken.
    @Test func chartAndFileLines() throws {
        let text = try Fixtures.text("image-list/examples/site-with-charts.txt")
        let entries = try ImageList.parseEntries(text, source: "site")
        #expect(entries.references.map(\.description) == ["docker.io/library/nginx:1.27", "quay.io/prometheus/prometheus:v2.53.0"])
        #expect(entries.charts.map(\.text) == ["https://charts.example.com/stable/web@^2.1", "oci://registry.example.com/charts/ingress:4.11.2"])
        #expect(entries.files.map(\.text) == ["installers/agent-1.4.run=tools/agent:1.4"])
        #expect(entries.files.map(\.line) == [6])
        // Without white space after the colon it is an image on Docker Hub.
        #expect(try ImageList.parse("file:5.45\nchart:v1\n", source: "t").map(\.description) == ["docker.io/library/file:5.45", "docker.io/library/chart:v1"])
        do {
            _ = try ImageList.parse(text, source: "site")
            Issue.record("an images-only list took charts")
        } catch {
            #expect(error.lines.map { $0.prefix(7) } == ["site:4:", "site:5:", "site:6:"])
        }
    }
}
