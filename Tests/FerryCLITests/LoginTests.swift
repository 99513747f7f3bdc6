import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 6): login checks credentials against the registry before saving them (mode
/// 0600, other entries kept); the saved file works for export; logout removes the entry;
/// list-tags lists every tag.
@Suite(.serialized) struct LoginTests {
    @Test(arguments: ["htpasswd", "token"])
    func loginExportLogout(_ mode: String) async throws {
        let auth: RegistryAuth = mode == "token" ? .token(user: "hana", password: "login-pass") : .htpasswd(user: "hana", password: "login-pass")
        let registry = try await TestRegistry.start(auth: auth)
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 101)
        let dir = NSTemporaryDirectory() + "ferry-login-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let authFile = dir + "/auth.json"
        try #"{"auths":{"other.example.com":{"auth":"eDp5"}},"credHelpers":{"x.example.com":"none"}}"#
            .write(toFile: authFile, atomically: true, encoding: .utf8)

        let wrong = try CLITests.ferry(["login", registry.host, "-u", "hana", "-p", "nope", "--authfile", authFile])
        #expect(wrong.status == 77, "\(wrong.stderr)")
        #expect(!(try String(contentsOfFile: authFile, encoding: .utf8)).contains(registry.host))

        let right = try CLITests.ferry(["login", registry.host, "-u", "hana", "-p", "login-pass", "--authfile", authFile])
        #expect(right.status == 0, "\(right.stderr)")
        let saved = try String(contentsOfFile: authFile, encoding: .utf8)
        #expect(saved.contains(registry.host) && saved.contains("other.example.com") && saved.contains("credHelpers"))
        let mode = try FileManager.default.attributesOfItem(atPath: authFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!right.stdout.contains("login-pass") && !right.stderr.contains("login-pass"))

        let web = try #require(corpus.image("apps/web:1.0"))
        let export = try CLITests.ferry(["export", web.reference, "-o", dir + "/b.tar", "--authfile", authFile, "-q"])
        #expect(export.status == 0, "\(export.stderr)")

        let tags = try CLITests.ferry(["list-tags", "\(registry.host)/apps/web", "--authfile", authFile, "--format", "json"])
        #expect(tags.status == 0, "\(tags.stderr)")
        struct Listing: Decodable { var tags: [String] }
        #expect(Set(try JSONDecoder().decode(Listing.self, from: Data(tags.stdout.utf8)).tags) == ["1.0", "latest"])

        let logout = try CLITests.ferry(["logout", registry.host, "--authfile", authFile])
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(!(try String(contentsOfFile: authFile, encoding: .utf8)).contains(registry.host))
        let again = try CLITests.ferry(["logout", registry.host, "--authfile", authFile])
        #expect(again.status == 1)
    }
}
