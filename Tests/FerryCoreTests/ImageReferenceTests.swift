import FerryCore
import FerryTestSupport
import Testing

/// Rule: references follow the docker grammar and Docker's normalisation. The table is the
/// golden file of the spec, `formats/image-list/examples/references.tsv`.
@Suite struct ImageReferenceTests {
    static let rows: [[String]] = (try? Fixtures.tsv("image-list/examples/references.tsv")) ?? []

    @Test func goldenTableIsPresent() {
        #expect(Self.rows.count >= 25)
    }

    @Test(arguments: rows)
    func normalises(_ row: [String]) throws {
        try #require(row.count == 2, "malformed row \(row)")
        let (input, expected) = (row[0], row[1])
        if expected == "ERROR" {
            #expect(throws: FerryCoreError.self, "\(input) should be rejected") { try ImageReference(parsing: input) }
        } else {
            let reference = try ImageReference(parsing: input)
            #expect(reference.description == expected, "\(input)")
            // Normalising is idempotent.
            #expect(try ImageReference(parsing: reference.description) == reference)
        }
    }

    /// Rule: RepoTags use Docker's familiar form (`formats/docker-archive/examples/familiar-names.tsv`).
    @Test(arguments: (try? Fixtures.tsv("docker-archive/examples/familiar-names.tsv")) ?? [])
    func familiarTags(_ row: [String]) throws {
        try #require(row.count >= 2)
        let reference = try ImageReference(parsing: row[0])
        let expected = row[1].isEmpty || row[1] == "-" || row[1] == "(none)" ? nil : row[1]
        #expect(reference.familiarTag == expected, "\(row[0])")
    }

    @Test func partsOfAPinnedReference() throws {
        let hex = String(repeating: "ab", count: 32)
        let reference = try ImageReference(parsing: "quay.io:443/org/app:1.2@sha256:\(hex)")
        #expect(reference.registry == "quay.io:443")
        #expect(reference.repository == "org/app")
        #expect(reference.tag == "1.2")
        #expect(reference.digest?.hex == hex)
        #expect(reference.manifestReference == "sha256:\(hex)")
    }

    /// Rule: a familiar RepoTag reads back as the same image, also for Docker Hub images named
    /// like a skopeo transport (found by FuzzReference: `oci:latest` was refused as the oci:
    /// transport, so ferry could not read the RepoTag it wrote).
    @Test(arguments: ["oci", "dir:v1", "oci-archive", "docker-archive:stable", "containers-storage", "docker-daemon",
                      "nginx:1.27", "org/app:1", "quay.io/org/app:2"])
    func familiarTagReadsBackAsTheSameImage(_ text: String) throws {
        let reference = try ImageReference(parsing: text)
        let back = try ImageReference(parsing: try #require(reference.familiarTag))
        #expect(back == reference)
    }
}

/// Rule (found by FuzzReference): a reference's canonical form always parses back to it, even
/// at the length limits, and a registry host longer than a DNS name (253 characters) is refused.
@Suite struct ImageReferenceLimitTests {
    @Test(arguments: [200, 253])
    func longestHostsRoundTrip(_ length: Int) throws {
        var host = ""
        while host.count < length { host += host.isEmpty ? "a" : (host.count % 60 == 59 ? "." : "b") }
        if host.hasSuffix(".") { host.removeLast(); host += "c" }
        let path = String(repeating: "p", count: 255)
        let reference = try ImageReference(parsing: "\(host):65535/\(path)")
        #expect(try ImageReference(parsing: reference.description) == reference)
    }

    @Test func hostLongerThanADNSNameIsRefused() throws {
        let labels = Array(repeating: String(repeating: "h", count: 60), count: 5).joined(separator: ".")  // 304 characters
        #expect(throws: FerryCoreError.self) { try ImageReference(parsing: "\(labels)/app") }
        let fuzzed = try String(contentsOf: Fixtures.url("../Tests/Fuzz/Corpus/FuzzReference/repro-long-host-canonical-form"), encoding: .utf8)
        let parsed = try? ImageReference(parsing: fuzzed)
        if let parsed { #expect(try ImageReference(parsing: parsed.description) == parsed) }
    }
}
