import FerryCore
import FerryOperations
import FerryTestSupport
import Testing

/// Rule (issue 7, README "Import"): the destination host comes only from `--to`. Whatever name
/// a bundle gives an image (another registry, a path that looks like a host, a digest, odd
/// tags), the mapped reference lands on the `--to` registry under its prefix, with the
/// source's tag and digest. A property over mutated names, fixed seed.
@Suite struct DestinationPropertyTests {
    static let names = [
        "docker.io/library/nginx:1.27", "evil.example.com/org/app:1", "127.0.0.2:5000/a/b:c", "localhost/x",
        "reg.local/evil.example.com/app:2", "quay.io/org/app@sha256:" + String(repeating: "ab", count: 32),
        "ghcr.io/o/localhost/x:y", "docker.io/a.b.c/d:e",
    ]

    @Test(arguments: ["reg.dc2.local:5000", "reg.dc2.local:5000/mirror", "127.0.0.1:5000/a/b", "localhost:5000", "localhost", "[::1]:5000/m"])
    func bundleNamesNeverChooseTheHost(_ to: String) throws {
        let mapper = try DestinationMapper(to: to)
        let host = String(to.split(separator: "/").first ?? "")
        var mutator = SeededMutator(seed: 0xde57)
        var mapped = 0
        for iteration in 0..<1500 {
            let text = mutator.mutate(Self.names[iteration % Self.names.count], maximumEdits: 2)
            guard let source = try? ImageReference(parsing: text) else { continue }
            let destination: ImageReference
            do {
                destination = try mapper.destination(for: source)
            } catch {
                continue  // too long once prefixed: refused, which is safe
            }
            mapped += 1
            #expect(destination.registry == host, "\(text) → \(destination)")
            #expect(destination.repository.split(separator: "/").starts(with: mapper.prefix.map { Substring($0) }), "\(text) → \(destination)")
            #expect(destination.tag == source.tag && destination.digest == source.digest, "\(text) → \(destination)")
        }
        #expect(mapped > 300, "mapped \(mapped)")
    }

    /// A `--to` host the reference grammar would read as a Docker Hub path is refused up front
    /// (it used to map every image to docker.io/HOST/…).
    @Test(arguments: ["mirrorhost", "mirrorhost/team", "reg", "http://mirrorhost"])
    func hostThatReadsAsAPathIsRefused(_ to: String) {
        #expect(throws: FerryOperationsError.self, "\(to)") { try DestinationMapper(to: to) }
    }
}
