import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 17, item 5): `copy` and `sync` take skopeo's per-side credentials
/// (`--src-creds`, `--dest-creds`, `--src-authfile`, `--dest-authfile`); each side's password
/// goes to that side's registry only, and one password is never offered to several registries.
@Suite(.serialized) struct SideCredentialsCLITests {
    @Test func eachSideGetsItsOwnCredentials() async throws {
        let source = try await TestRegistry.start(auth: .htpasswd(user: "sam", password: "Src-Pw-1"))
        defer { source.stop() }
        let target = try await TestRegistry.start(auth: .htpasswd(user: "tia", password: "Dst-Pw-2"))
        defer { target.stop() }
        let corpus = try await source.push(seed: 97)
        let web = try #require(corpus.image("apps/web:1.0"))
        let dir = NSTemporaryDirectory() + "ferry-sides-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // Without credentials for the destination: refused there (exit 77), nothing else.
        let missing = try CLITests.ferry(["copy", web.reference, "\(target.host)/a/web", "--src-creds", "sam:Src-Pw-1", "-q"])
        #expect(missing.status == 77, "\(missing.stderr)")

        // Both sides by flag.
        let byFlags = try CLITests.ferry(["copy", web.reference, "\(target.host)/b/web", "--src-creds", "sam:Src-Pw-1",
                                          "--dest-creds", "tia:Dst-Pw-2", "-q"])
        #expect(byFlags.status == 0, "\(byFlags.stderr)")

        // The destination from its own auth file, which is not consulted for the source.
        let targetAuth = Data("tia:Dst-Pw-2".utf8).base64EncodedString()
        try #"{"auths":{"\#(target.host)":{"auth":"\#(targetAuth)"}}}"#.write(toFile: dir + "/dest.json", atomically: true, encoding: .utf8)
        let byFile = try CLITests.ferry(["copy", web.reference, "\(target.host)/c/web", "--src-creds", "sam:Src-Pw-1",
                                         "--dest-authfile", "dest.json", "-q"], directory: dir)
        #expect(byFile.status == 0, "\(byFile.stderr)")
        let sourceOnly = try CLITests.ferry(["copy", web.reference, "\(target.host)/d/web", "--src-authfile", "dest.json",
                                             "--dest-creds", "tia:Dst-Pw-2", "-q"], directory: dir)
        #expect(sourceOnly.status == 77, "the destination's auth file must not serve the source: \(sourceOnly.stderr)")

        // sync: the same flags.
        try "\(web.reference)\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        let sync = try CLITests.ferry(["sync", "-f", "list.txt", "--to", "\(target.host)/synced", "--src-creds", "sam:Src-Pw-1",
                                       "--dest-creds", "tia:Dst-Pw-2", "-q"], directory: dir)
        #expect(sync.status == 0, "\(sync.stderr)")

        // Malformed, or different passwords for one registry on both sides: refused before any request.
        #expect(try CLITests.ferry(["copy", web.reference, "\(target.host)/e/web", "--dest-creds", "no-colon"]).status == 64)
        let same = try CLITests.ferry(["copy", web.reference, "\(source.host)/e/web", "--src-creds", "sam:Src-Pw-1", "--dest-creds", "x:y"])
        #expect(same.status == 64 && same.stderr.contains("credentials are per registry"), "\(same.stderr)")
    }
}
