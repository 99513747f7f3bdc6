import FerryTestSupport
import Foundation
import Testing

/// Rule (issue 7, secrets): every command at maximum verbosity, with a Basic password, a bearer
/// token and a signed-URL query string in play, prints none of them: not on stdout, not on
/// stderr, not in `--log` files, not in the bundle.
@Suite(.serialized) struct SecretsCLITests {
    @Test func everyCommandAtMaximumVerbosityKeepsSecrets() async throws {
        let sourcePassword = "Src-Secret-Pw-7731", targetPassword = "Dst-Secret-Pw-9914"
        let source = try await TestRegistry.start(auth: .htpasswd(user: "sam", password: sourcePassword))
        defer { source.stop() }
        let target = try await TestRegistry.start(auth: .token(user: "tia", password: targetPassword))
        defer { target.stop() }
        _ = try await source.push(seed: 96)
        // Blob downloads from the source are redirected to another host with a signed-URL query.
        let elsewhere = try RedirectTarget(upstream: source.host, upstreamBasicAuth: (user: "sam", password: sourcePassword))
        defer { elsewhere.stop() }
        let proxy = try FaultProxy(upstream: source.host,
                                   rules: [ProxyRule(method: "GET", pathContains: "/blobs/sha256:", fault: .redirectToTarget, times: Int.max)],
                                   redirectTarget: elsewhere)
        defer { proxy.stop() }
        let dir = NSTemporaryDirectory() + "ferry-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sourceAuth = Data("sam:\(sourcePassword)".utf8).base64EncodedString()
        let targetAuth = Data("tia:\(targetPassword)".utf8).base64EncodedString()
        try #"{"auths":{"\#(proxy.address)":{"auth":"\#(sourceAuth)"},"\#(target.host)":{"auth":"\#(targetAuth)"}}}"#
            .write(toFile: dir + "/auth.json", atomically: true, encoding: .utf8)
        let web = "\(proxy.address)/apps/web:1.0"
        try "\(web)\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        let auth = ["--authfile", "auth.json", "-vv"]
        let commands: [[String]] = [
            ["export", web, "-o", "b.tar", "--log", "export.log"] + auth,
            ["verify", "b.tar", "-vv"],
            ["inspect", "b.tar", "-vv"],
            ["inspect", "docker://\(web)"] + auth,
            ["list-tags", "\(proxy.address)/apps/web"] + auth,
            ["import", "b.tar", "--to", "\(target.host)/imported", "--log", "import.log"] + auth,
            ["copy", web, "\(target.host)/copied/web"] + auth,
            ["sync", "-f", "list.txt", "--to", "\(target.host)/synced"] + auth,
        ]
        var seen = ""
        for command in commands {
            let run = try CLITests.ferry(command, directory: dir)
            #expect(run.status == 0, "ferry \(command.joined(separator: " ")): \(run.stderr)")
            seen += run.stdout + run.stderr
        }
        #expect(!elsewhere.requests().isEmpty, "the signed-URL redirect was never taken")
        #expect(seen.contains("GET "), "-vv should log requests")
        let files = ["export.log", "import.log", "b.tar"].map { dir + "/" + $0 }
        for secret in [sourcePassword, targetPassword, sourceAuth, targetAuth, "Bearer ", "secretsig123"] {
            #expect(!seen.contains(secret), "output leaks \(secret)")
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) leaks \(secret)")
            }
        }
    }
}
