import FerryInputs
import Foundation
import Testing

/// Rule (issue 15, item 9): a small YAML file cannot expand without bound through aliases. A
/// 1 KB "billion laughs" file is refused with the file and line, in well under a second per
/// reader; ordinary anchors and aliases still read.
@Suite struct YAMLBoundsTests {
    /// Nine levels, each a list of ten aliases of the level below: 10^9 scalars.
    static let bomb: String = {
        var lines = ["a0: &a0 [\"lol\"]"]
        for level in 1...9 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func aliasBombIsRefused() {
        #expect(Self.bomb.utf8.count < 1200)
        let started = Date()
        do {
            _ = try YAMLReader.documents(Self.bomb, source: "images.yaml")
            Issue.record("the alias bomb was expanded")
        } catch {
            guard case .shape(let source, _, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(source == "images.yaml")
            #expect(reason.contains("line ") && reason.contains("aliases"), "\(reason)")
        }
        let partial = YAMLReader.documentsUpToError(Self.bomb, source: "k8s.yaml")
        #expect(partial.error != nil)
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func ordinaryAliasesStillRead() throws {
        let text = "base: &base {image: nginx:1.27}\nweb: *base\n"
        let value = try #require(try YAMLReader.single(text, source: "k8s.yaml"))
        #expect(value["web"]?["image"]?.string == "nginx:1.27")
    }
}
