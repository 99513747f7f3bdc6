import FerryRegistry
import Foundation
import FerryTestSupport
import Testing

/// Rule: credentials are looked up as `formats/auth-files/SPEC.md` says; the golden table is
/// `formats/auth-files/examples/lookups.tsv`. Helper rows are checked for the helper named.
@Suite struct AuthFileTests {
    static let rows: [[String]] = (try? Fixtures.tsv("auth-files/examples/lookups.tsv")) ?? []

    @Test func tableIsPresent() { #expect(Self.rows.count >= 5) }

    @Test(arguments: rows)
    func lookup(_ row: [String]) async throws {
        try #require(row.count == 3, "malformed row \(row)")
        let file = try AuthFile(path: Fixtures.url("auth-files/examples/\(row[0])").path)
        let reference = row[1]
        let registry = String(reference.prefix { $0 != "/" })
        let repository = reference.contains("/") ? String(reference.drop { $0 != "/" }.dropFirst()) : nil
        let expected = row[2].split(separator: " ").map(String.init)
        switch expected.first {
        case "basic":
            let credential = try await file.credential(registry: registry, repository: repository)
            #expect(credential?.username == expected[1])
            #expect(credential?.password == expected[2])
        case "token":
            let credential = try await file.credential(registry: registry, repository: repository)
            #expect(credential?.identityToken == expected[1])
        case "none":
            #expect(try await file.credential(registry: registry, repository: repository) == nil)
        case "helper":
            // The helper is not installed here: running it must fail with an error that names it.
            do {
                _ = try await file.credential(registry: registry, repository: repository)
                Issue.record("expected helper \(expected[1]) to be run")
            } catch let error as RegistryError {
                #expect(error.description.contains("docker-credential-\(expected[1])"))
            }
        default:
            Issue.record("unknown expectation \(row[2])")
        }
    }

    /// Rule: secrets never show in descriptions, dumps or errors.
    @Test func credentialDescriptionsHideTheSecret() {
        let credential = Credential(username: "alice", password: "s3cret-pass")
        var dumped = ""
        dump(credential, to: &dumped)
        for text in [credential.description, credential.debugDescription, "\(credential)", String(reflecting: credential), dumped] {
            #expect(!text.contains("s3cret-pass"), "\(text)")
        }
    }

    @Test func brokenFileErrorDoesNotEchoContent() throws {
        let path = NSTemporaryDirectory() + "ferry-auth-\(UInt32.random(in: 0...UInt32.max)).json"
        try Data(#"{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try AuthFile(path: path)
            Issue.record("expected a parse error")
        } catch {
            #expect(!"\(error)".contains("c2VjcmV0"))
        }
    }

    @Test(arguments: [
        ("https://index.docker.io/v1/", [String: String](), "docker.io"),
    ])
    func locateHonoursOrder(_ unused: String, _ environment: [String: String], _ expected: String) {
        #expect(AuthFile.locate(explicit: "/explicit.json", environment: ["REGISTRY_AUTH_FILE": "/env.json"]) == "/explicit.json")
        #expect(AuthFile.locate(explicit: nil, environment: ["REGISTRY_AUTH_FILE": "/env.json"]) == "/env.json")
        #expect(AuthFile.locate(explicit: nil, environment: ["HOME": "/nonexistent-home"]) == nil)
    }
}
