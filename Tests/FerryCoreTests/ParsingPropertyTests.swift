import FerryCore
import FerryTestSupport
import Testing

/// Properties of the parsers every user- or bundle-supplied name goes through (issue 7,
/// fuzzing), over mutated real-looking seeds with a fixed seed, so a failure replays exactly.
/// The oracles are written independently of the parsers: regular expressions of the grammar
/// (`formats/image-list/SPEC.md`, `formats/oci-layout/SPEC.md`).
@Suite struct ParsingPropertyTests {
    static let iterations = 4000
    static let hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    // MARK: - Digest

    static let digestSeeds = [
        "sha256:" + hex64,
        "sha512:" + hex64 + hex64,
        "sha256:../../" + String(hex64.prefix(58)),
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256:" + hex64.uppercased(),
        "sha384:" + hex64 + String(hex64.prefix(32)),
    ]

    /// `sha256:` and 64 lowercase hex digits, or `sha512:` and 128: the only digests ferry
    /// lets near a path or a URL.
    static var digestGrammar: Regex<Substring> { #/(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})/#.matchingSemantics(.unicodeScalar) }

    /// Property: a digest is accepted exactly when it matches the grammar; then it prints as
    /// given and its layout path is three plain components.
    @Test func digestAcceptsExactlyTheGrammar() {
        var mutator = SeededMutator(seed: 0xd16e57)
        var accepted = 0
        for iteration in 0..<Self.iterations {
            // Every third input is a fresh valid digest, mutated or not; the rest mutate the seeds.
            var seed = Self.digestSeeds[iteration % Self.digestSeeds.count]
            if iteration % 3 == 0 {
                let algorithm = mutator.random.pick(Digest.Algorithm.allCases)
                let hex = (0..<algorithm.hexLength).map { _ in mutator.random.pick(Array("0123456789abcdef")) }
                seed = "\(algorithm.rawValue):\(String(hex))"
            }
            let text = iteration < Self.digestSeeds.count || iteration % 6 == 0 ? seed : mutator.mutate(seed)
            let grammatical = (try? Self.digestGrammar.wholeMatch(in: text)) != nil
            do {
                let digest = try Digest(parsing: text)
                accepted += 1
                #expect(grammatical, "accepted \(text.debugDescription)")
                #expect(digest.description == text)
                let parts = digest.layoutPath.split(separator: "/", omittingEmptySubsequences: false)
                #expect(parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." })
            } catch {
                #expect(!grammatical, "rejected \(text.debugDescription): \(error)")
            }
        }
        // The generator must reach both sides, or the property says nothing.
        #expect(accepted > 50 && accepted < Self.iterations - 50, "accepted \(accepted)")
    }

    // MARK: - ImageReference

    static let referenceSeeds = [
        "nginx", "nginx:1.27", "library/nginx:latest", "docker.io/library/nginx:1.27",
        "index.docker.io/org/app", "quay.io/org/app:2.1", "127.0.0.1:5000/team/app:v1-rc.2",
        "localhost/app", "localhost:5000/a/b/c:tag", "[::1]:5000/app:1", "registry.example.com:443/a_b/c__d/e-f:g",
        "quay.io/org/app@sha256:" + hex64, "reg.local/app:1.2@sha256:" + hex64, "a.b/c.d/e--f:_x",
        "ghcr.io/o/r@sha512:" + hex64 + hex64,
    ]

    /// The docker reference grammar (distribution's `reference` package) as ferry narrows it:
    /// host `label(.label)*(:port)?` or `[ipv6](:port)?`, lowercase path components joined by
    /// `.`, `_`, `__` or runs of `-`, a tag of word characters, and a sha256/sha512 digest.
    static var referenceGrammar: Regex<Substring> { #/
        (?:(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*
              |\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?/)?
        [a-z0-9]+(?:(?:\.|__?|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|__?|-+)[a-z0-9]+)*)*
        (?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?
        (?:@(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}))?
        /#.matchingSemantics(.unicodeScalar) }

    /// Property: parsing never crashes; an accepted text matches the grammar, its canonical
    /// form is ASCII, parses back to the same reference and prints the same (normalising is
    /// idempotent), and its repository has no empty, `.` or `..` component.
    @Test func referenceRoundTripsAndStaysInTheGrammar() {
        var mutator = SeededMutator(seed: 0x4ef5)
        var accepted = 0
        for iteration in 0..<Self.iterations {
            let seed = Self.referenceSeeds[iteration % Self.referenceSeeds.count]
            let text = iteration < Self.referenceSeeds.count ? seed : mutator.mutate(seed)
            let reference: ImageReference
            do {
                reference = try ImageReference(parsing: text)
            } catch {
                continue
            }
            accepted += 1
            #expect((try? Self.referenceGrammar.wholeMatch(in: text)) != nil, "accepted \(text.debugDescription)")
            let canonical = reference.description
            let ascii = canonical.unicodeScalars.allSatisfy { $0.isASCII }
            #expect(ascii, "\(text.debugDescription) → \(canonical.debugDescription)")
            #expect((try? Self.referenceGrammar.wholeMatch(in: canonical)) != nil, "canonical \(canonical.debugDescription)")
            #expect(reference.repository.split(separator: "/", omittingEmptySubsequences: false)
                .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." })
            do {
                let again = try ImageReference(parsing: canonical)
                #expect(again == reference, "\(text.debugDescription) → \(canonical)")
                #expect(again.description == canonical)
            } catch {
                Issue.record("\(text.debugDescription) → \(canonical) does not parse again: \(error)")
            }
        }
        #expect(accepted > 200 && accepted < Self.iterations - 200, "accepted \(accepted)")
    }

    /// Look-alikes the grammar excludes: full-width digits and letters (which Swift's
    /// `Character.isHexDigit` and `isNumber` accept), combining marks after separators.
    @Test(arguments: ["[\u{FF10}]:5000/app", "[::\u{FF41}]/app:1", "[::1]:５000/app", "reg.local:５000/app", "ｒeg.local/app",
                      "reg.local/app:1\u{301}", "reg.local/\u{301}app", "reg.local/app@sha256:" + String(repeating: "\u{FF41}", count: 64)])
    func lookAlikesAreRejected(_ text: String) {
        #expect(throws: FerryCoreError.self, "\(text.debugDescription)") { try ImageReference(parsing: text) }
    }
}
