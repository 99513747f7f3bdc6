import FerryArchive
import FerryTestSupport
import Foundation
import Testing

/// Properties of tar member name resolution over mutated real-looking names and link targets,
/// fixed seeds (issue 7, fuzzing). Whatever a hostile archive names, a resolved name is a
/// relative path inside the archive: never absolute, no `..`, `.` or empty component, no NUL or
/// backslash, and already in canonical form, so resolving it again changes nothing.
@Suite struct MemberNamePropertyTests {
    static let iterations = 4000

    static let nameSeeds = [
        "blobs/sha256/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "./index.json", "oci-layout",
        "manifest.json", "./blobs/", "0123abcd/layer.tar", "a/b/c/d.tar", "../../etc/passwd", "/etc/shadow",
        "blobs/sha256/../../../x", "dir\\..\\x", "./././repositories",
    ]
    static let targetSeeds = [
        "../0123abcd.tar", "../../x", "/etc/passwd", "layer.tar", "./a/../b", "a/b/../../..", "..", ".", "",
        "blobs/sha256/ab", "..\\..\\x", "x/./y//z",
    ]

    /// What every resolved name must be: canonical and inside the archive. Checked on UTF-8
    /// bytes, as a file system sees them (`Character` comparisons would merge "/" with a
    /// following combining mark and miss it).
    static func expectInside(_ name: String, from input: String) {
        let slash = UInt8(ascii: "/")
        let bytes = Array(name.utf8)
        let parts = bytes.split(separator: slash, omittingEmptySubsequences: false)
        #expect(!bytes.isEmpty && bytes.first != slash, "\(input.debugDescription) → \(name.debugDescription)")
        #expect(parts.allSatisfy { !$0.isEmpty && !$0.elementsEqual(Array(".".utf8)) && !$0.elementsEqual(Array("..".utf8)) },
                "\(input.debugDescription) → \(name.debugDescription)")
        #expect(!bytes.contains(0) && !bytes.contains(UInt8(ascii: "\\")), "\(input.debugDescription) → \(name.debugDescription)")
        // The file system agrees: under a root, the name standardises to a path below it.
        let resolved = URL(fileURLWithPath: "/archive-root/" + name).standardizedFileURL.path
        #expect(resolved.utf8.starts(with: "/archive-root/".utf8), "\(input.debugDescription) → \(resolved)")
        #expect((try? MemberName.normalise(name)) == name, "\(name.debugDescription) is not canonical")
    }

    /// Names that hide a separator behind a combining mark: as `Character`s `"/\u{301}"` is not
    /// `"/"`, as bytes (what a file system sees) it is. Each must be refused.
    @Test(arguments: ["/\u{301}etc/passwd", "../\u{301}etc", "a/../\u{301}b", "..\u{301}/../\u{301}x", "/\u{20DD}",
                      "blobs/../\u{301}", "./../\u{301}x"])
    func combiningMarksHideNoSeparator(_ name: String) {
        #expect(throws: FerryArchiveError.self, "\(name.debugDescription)") { try MemberName.normalise(name) }
    }

    /// Property: `normalise` accepts only names inside the archive, and is idempotent.
    @Test func normalisedNamesStayInside() {
        var mutator = SeededMutator(seed: 0x7a2)
        var accepted = 0
        for iteration in 0..<Self.iterations {
            let text = mutator.mutate(Self.nameSeeds[iteration % Self.nameSeeds.count])
            guard let name = try? MemberName.normalise(text) else { continue }
            accepted += 1
            Self.expectInside(name, from: text)
        }
        #expect(accepted > 300 && accepted < Self.iterations - 300, "accepted \(accepted)")
    }

    /// Property: a symbolic link resolves to a name inside the archive, or is refused; never
    /// to a name the member-name rules would refuse.
    @Test func linkTargetsResolveInside() throws {
        var mutator = SeededMutator(seed: 0x11f)
        var resolved = 0
        for iteration in 0..<Self.iterations {
            let memberText = mutator.mutate(Self.nameSeeds[iteration % Self.nameSeeds.count], maximumEdits: 2)
            guard let member = try? MemberName.normalise(memberText) else { continue }
            let target = mutator.mutate(Self.targetSeeds[iteration % Self.targetSeeds.count])
            guard let name = try? MemberName.resolveLink(member: member, target: target) else { continue }
            resolved += 1
            Self.expectInside(name, from: "\(member) -> \(target)")
        }
        #expect(resolved > 300, "resolved \(resolved)")
    }

    /// The links skopeo writes, and links that must not resolve (the table for the property).
    @Test(arguments: [
        ("0123abcd/layer.tar", "../0123abcd.tar", "0123abcd.tar"),
        ("a/b/link", "./c/../d", "a/b/d"),
        ("a/link", "../../x", nil),
        ("link", "/etc/passwd", nil),
        ("a/link", "..", nil),
        ("a/link", "x\\..\\..\\y", nil),
        ("a/link", "x\0y", nil),
        ("a/b/link", "", nil),
        ("a/link", "/\u{301}etc/passwd", nil),
        ("a/link", "../../\u{301}etc", nil),
        ("a/link", "b/\u{301}c", "a/b/\u{301}c"),
    ] as [(String, String, String?)])
    func resolvesLinks(_ member: String, _ target: String, _ expected: String?) {
        let resolved = try? MemberName.resolveLink(member: member, target: target)
        #expect(resolved == expected, "\(member) -> \(target.debugDescription)")
    }
}
