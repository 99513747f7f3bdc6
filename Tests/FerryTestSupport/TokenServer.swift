public import Foundation

/// Counters of the token server (GET /stats).
public struct TokenStats: Sendable, Equatable, Decodable {
    /// Tokens handed out.
    public let tokensIssued: Int
    /// Requests to /token (GET and POST), including refused ones.
    public let requests: Int
    /// Refused requests (wrong credentials, unknown service, bad grant type).
    public let denied: Int
    /// Every `scope` parameter received, in order.
    public let scopes: [String]

    enum CodingKeys: String, CodingKey {
        case tokensIssued = "tokens_issued", requests, denied, scopes
    }
}

/// The Docker-style token server (Resources/token_server.py) on 127.0.0.1: issues JWTs signed
/// ES256 with an `x5c` header; give the registry `certificatePath` as its rootcertbundle.
/// Valid credentials get the requested actions, no credentials get empty access, wrong
/// credentials get 401. Stopped by `stop()` or deinit; it also exits when the test process dies.
public final class TokenServer: Sendable {
    public let port: UInt16
    public let issuer: String
    public let service: String
    /// The signing certificate (PEM): the registry's `rootcertbundle`.
    public let certificatePath: String
    public let expiresIn: Int
    private let process: ChildProcess

    /// GET/POST endpoint for tokens: the registry's `realm`.
    public var realm: String { "http://127.0.0.1:\(port)/token" }

    private init(port: UInt16, issuer: String, service: String, certificatePath: String,
                 expiresIn: Int, process: ChildProcess) {
        self.port = port
        self.issuer = issuer
        self.service = service
        self.certificatePath = certificatePath
        self.expiresIn = expiresIn
        self.process = process
    }

    deinit {
        process.stop(grace: 2)
    }

    /// Starts a token server whose files (key, certificate, log) live in `directory`.
    /// With `user` nil every caller gets what it asks for; `anonymousActions` (e.g. ["pull"])
    /// are granted to callers without credentials.
    public static func start(
        directory: URL, user: String?, password: String?, expiresIn: Int = 300,
        issuer: String = "ferry-test-issuer", service: String = "ferry-test-registry",
        anonymousActions: [String] = []
    ) async throws -> TokenServer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let signing = try await TestCertificates.makeSigning(in: directory, commonName: issuer)
        let portFile = directory.appendingPathComponent("token-server.port").path
        try? FileManager.default.removeItem(atPath: portFile)
        var arguments = [try PythonTools.resource("token_server.py"),
                         "--port", "0", "--port-file", portFile,
                         "--key", signing.keyPath, "--cert", signing.certificatePath,
                         "--issuer", issuer, "--service", service,
                         "--expires-in", String(expiresIn)]
        if let user {
            arguments += ["--user", user, "--password", password ?? ""]
        }
        if !anonymousActions.isEmpty {
            arguments += ["--anonymous-actions", anonymousActions.joined(separator: ",")]
        }
        let process = try ChildProcess.launch(
            try PythonTools.withCryptography(), arguments,
            logPath: directory.appendingPathComponent("token-server.log").path)
        let deadline = Date().addingTimeInterval(60)
        // Look, then check the clock: a starved sleep past the deadline still gets its look.
        while true {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return TokenServer(port: port, issuer: issuer, service: service,
                                   certificatePath: signing.certificatePath,
                                   expiresIn: expiresIn, process: process)
            }
            if !process.isRunning || Date() >= deadline { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.stop(grace: 1)
        throw TestSupportError("token server did not start:\n\(process.logTail())")
    }

    /// The server's counters.
    public func stats() async throws -> TokenStats {
        let response = try LoopbackHTTP.get(port: port, path: "/stats")
        guard response.status == 200 else {
            throw TestSupportError("token server /stats: HTTP \(response.status)")
        }
        return try JSONDecoder().decode(TokenStats.self, from: response.body)
    }

    /// The token server's log (stderr).
    public func logTail(lines: Int = 40) -> String {
        process.logTail(lines: lines)
    }

    /// Stops the server. Idempotent.
    public func stop() {
        process.stop(grace: 2)
    }
}
