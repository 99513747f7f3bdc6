import FerryArchive
import FerryTestSupport
import Testing

/// Rule: member names resolve only inside the archive (`formats/oci-archive/examples`).
@Suite struct MemberNameTests {
    static let accepted = (try? Fixtures.tsv("oci-archive/examples/accepted-members.txt")) ?? []
    static let rejected = (try? Fixtures.tsv("oci-archive/examples/rejected-members.txt")) ?? []

    @Test func tablesArePresent() {
        #expect(Self.accepted.count >= 5)
        #expect(Self.rejected.count >= 8)
    }

    @Test(arguments: accepted)
    func accepts(_ row: [String]) throws {
        let normalised = try MemberName.normalise(row[0])
        let expected: String? = row[1].hasPrefix("(root") ? nil : row[1]
        #expect(normalised == expected, "\(row[0])")
    }

    @Test(arguments: rejected)
    func rejects(_ row: [String]) {
        #expect(throws: FerryArchiveError.self, "\(row[0]): \(row[1])") { try MemberName.normalise(row[0]) }
    }

    /// Property: whatever is accepted never contains a parent reference or a leading slash.
    @Test func acceptedNamesStayInside() {
        var state: UInt64 = 0x5eed
        let pieces = ["a", ".", "..", "", "/", "./", "blobs", "sha256", "x y", "\\"]
        for _ in 0..<5000 {
            var name = ""
            for _ in 0..<(1 + Int(SeededGenerator.next(&state) % 6)) {
                name += pieces[Int(SeededGenerator.next(&state) % UInt64(pieces.count))]
                if SeededGenerator.next(&state) % 2 == 0 { name += "/" }
            }
            guard let normalised = try? MemberName.normalise(name) else { continue }
            #expect(!normalised.hasPrefix("/"))
            #expect(!normalised.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." || $0.isEmpty })
        }
    }
}

/// SplitMix64 over a caller-held state, for reproducible generated inputs.
enum SeededGenerator {
    static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
