import Foundation

/// Runs scripts/fixtures/ferry-fixtures.py: an independent (Python, stdlib-only) client that
/// generates deterministic images and pushes them, lists a catalog, or probes /v2/.
public struct FixturePusher: Sendable {
    /// "HOST:PORT"
    public var registry: String
    /// "http" or "https"
    public var scheme: String
    /// CA to verify an https registry with.
    public var caCertificatePath: String?
    public var user: String?
    public var password: String?

    public init(registry: String, scheme: String = "http", caCertificatePath: String? = nil,
                user: String? = nil, password: String? = nil) {
        self.registry = registry
        self.scheme = scheme
        self.caCertificatePath = caCertificatePath
        self.user = user
        self.password = password
    }

    /// Path of ferry-fixtures.py: `<package root>/scripts/fixtures/ferry-fixtures.py`.
    public static var scriptPath: String { PackagePaths.fixturesScript }

    /// Generates profile "small", "demo", "bench" or "many" from `seed` and pushes it. `prefix`
    /// is prepended to every repository ("t1" gives "t1/apps/web"); `scaleMB` sizes "bench";
    /// `count` is the number of images of "many" (load tests: tiny images sharing base layers).
    public func push(profile: String = "small", seed: UInt64 = 42, prefix: String = "",
                     scaleMB: Int? = nil, count: Int? = nil) async throws -> PushedCorpus {
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-fixtures-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        var arguments = ["push", "--profile", profile, "--seed", String(seed), "--out", out.path]
        if !prefix.isEmpty { arguments += ["--prefix", prefix] }
        if let scaleMB { arguments += ["--scale-mb", String(scaleMB)] }
        if let count { arguments += ["--count", String(count)] }
        _ = try await runScript(arguments)
        let data = try Data(contentsOf: out)
        do {
            return try JSONDecoder().decode(PushedCorpus.self, from: data)
        } catch {
            throw TestSupportError("cannot decode ferry-fixtures output: \(error)")
        }
    }

    /// The registry's /v2/_catalog repositories (authenticating as needed).
    public func catalog() async throws -> [String] {
        let output = try await runScript(["catalog"])
        do {
            return try JSONDecoder().decode([String].self, from: output.stdout)
        } catch {
            throw TestSupportError("cannot decode catalog: \(output.stdoutText)")
        }
    }

    /// One GET /v2/: true on 200 or 401 (and, if given, when the response carries the header
    /// `name: value`).
    public func probe(header: (name: String, value: String)? = nil) async -> Bool {
        var arguments = ["probe", "--timeout", "2"]
        if let header { arguments += ["--header", "\(header.name)=\(header.value)"] }
        guard let output = try? await runScript(arguments, check: false) else { return false }
        return output.status == 0
    }

    private func runScript(_ arguments: [String], check: Bool = true) async throws
        -> ChildProcess.Output {
        let script = Self.scriptPath
        guard FileManager.default.fileExists(atPath: script) else {
            throw TestSupportError("fixture pusher not found at \(script)")
        }
        var all = [script] + arguments + ["--registry", registry, "--scheme", scheme]
        if let caCertificatePath { all += ["--cacert", caCertificatePath] }
        if let user { all += ["--user", user, "--password", password ?? ""] }
        return try await ChildProcess.run(try PythonTools.stdlibOnly(), all, check: check,
                                          timeout: 900)
    }
}
