import FerryInputs
import Testing

/// Rules (formats/sync-files/SPEC.md, "Semver constraints"): Masterminds/semver v3 syntax as
/// skopeo documents it; tags read leniently (`v` prefix, short versions); prereleases only
/// match constraints that name one; non-version tags never match.
@Suite struct SemverConstraintTests {
    /// (tag, parsed version or nil)
    @Test(arguments: [
        ("1.2.3", "1.2.3"), ("v1.2.3", "1.2.3"), ("V2", "2.0.0"), ("1.2", "1.2.0"),
        ("1.2.3-rc1", "1.2.3-rc1"), ("1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5"), ("10.20.30", "10.20.30"),
        ("latest", nil), ("stable-alpine", nil), ("1.2.3.4", nil), ("1..2", nil), ("", nil), ("v", nil),
        ("1.2.3-", nil), ("1.2.3+", nil), ("1.2.x", nil), ("3.19.1-alpine_x", nil),
    ] as [(String, String?)])
    func tagsParse(_ tag: String, _ expected: String?) {
        #expect(SemanticVersion(tag)?.description == expected)
    }

    /// semver.org §11 precedence.
    @Test func ordering() {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                       "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"]
        let versions = ordered.compactMap(SemanticVersion.init)
        #expect(versions.count == ordered.count)
        #expect(versions == versions.sorted())
        #expect(versions.shuffled().sorted().map(\.description) == ordered)
        #expect(SemanticVersion("1.0.0+a") == SemanticVersion("1.0.0+b"))   // build metadata ignored
    }

    /// (constraint, tag, matches)
    @Test(arguments: [
        (">= 1.2.0, < 2.0.0", "1.2.0", true), (">= 1.2.0, < 2.0.0", "1.9.9", true),
        (">= 1.2.0, < 2.0.0", "2.0.0", false), (">= 1.2.0, < 2.0.0", "1.1.9", false),
        (">= 1.2.0, < 2.0.0", "v1.3.0", true), (">= 1.2.0 < 2.0.0", "1.5.0", true),
        (">= 1.2.0, < 2.0.0", "1.2.3-rc1", false),           // prerelease excluded
        (">= 1.2.3-rc0", "1.2.3-rc1", true),                   // unless the constraint names one
        (">= 3.12.0", "3.12.0", true), (">=3.12.0", "4.0.0", true), (">= 3.12.0", "3.11.9", false),
        ("1.2.3", "1.2.3", true), ("=1.2.3", "1.2.4", false),
        ("1.2", "1.2.9", true), ("1.2", "1.3.0", false), ("1.2.x", "1.2.0", true), ("1.*", "1.9.0", true), ("1.*", "2.0.0", false),
        ("*", "0.0.1", true), ("*", "1.0.0-rc1", false),
        ("!=1.2.3", "1.2.3", false), ("!=1.2.3", "1.2.4", true), ("!=1.2", "1.2.7", false), ("!=1.2", "1.3.0", true),
        (">1.2.3", "1.2.4", true), (">1.2.3", "1.2.3", false), (">1.2", "1.2.9", false), (">1.2", "1.3.0", true),
        ("<2", "1.99.0", true), ("<2", "2.0.0", false),
        ("<=1.4", "1.4.9", true), ("<=1.4", "1.5.0", false), ("<=1.4.0", "1.4.1", false), ("=<1.4.0", "1.4.0", true),
        ("=>1.0.0", "1.0.0", true),
        ("~1.2.3", "1.2.9", true), ("~1.2.3", "1.3.0", false), ("~1.2.3", "1.2.2", false),
        ("~1", "1.9.0", true), ("~1", "2.0.0", false), ("~>1.2", "1.2.5", true), ("~>1.2", "1.3.0", false),
        ("^1.2.3", "1.9.9", true), ("^1.2.3", "2.0.0", false), ("^1.2.3", "1.2.2", false),
        ("^0.2.3", "0.2.9", true), ("^0.2.3", "0.3.0", false), ("^0.0.3", "0.0.3", true), ("^0.0.3", "0.0.4", false),
        ("^0", "0.9.0", true), ("^0", "1.0.0", false),
        ("1.2 - 1.4.5", "1.2.0", true), ("1.2 - 1.4.5", "1.4.5", true), ("1.2 - 1.4.5", "1.4.6", false), ("1.2 - 1.4.5", "1.1.9", false),
        ("~1.4 || ^2.1.0", "1.4.7", true), ("~1.4 || ^2.1.0", "2.5.0", true), ("~1.4 || ^2.1.0", "2.0.9", false),
        ("~1.4 || ^2.1.0", "3.0.0", false),
        (">= 1.0.0", "latest", false),
    ])
    func constraints(_ constraint: String, _ tag: String, _ expected: Bool) throws {
        let parsed = try SemverConstraint(parsing: constraint)
        #expect(parsed.select(from: [tag]) == (expected ? [tag] : []), "\(constraint) vs \(tag)")
    }

    @Test(arguments: ["", ">=", ">= abc", "1.2.3.4", "~> x.y", "|| 1.0", ">= 1.0 ||", "1.2 -"])
    func badConstraintsAreRefused(_ text: String) {
        #expect(throws: FerryInputsError.self) { _ = try SemverConstraint(parsing: text, source: "sync.yaml") }
    }

    /// The tag set used by the registry integration test, selected by the brief's constraint.
    @Test func selectionFromMixedTags() throws {
        let tags = ["1.0.0", "1.2.3", "v1.3.0", "2.0.0", "latest", "1.2.3-rc1"]
        #expect(try SemverConstraint(parsing: ">= 1.2.0, < 2.0.0").select(from: tags) == ["1.2.3", "v1.3.0"])
        #expect(try SemverConstraint(parsing: ">= 1.2.3-rc0, < 2.0.0").select(from: tags) == ["1.2.3", "v1.3.0", "1.2.3-rc1"])
    }
}
