public import Foundation

/// How a test registry authenticates clients.
public enum RegistryAuth: Sendable, Equatable {
    /// No authentication.
    case anonymous
    /// HTTP Basic against an htpasswd file (bcrypt).
    case htpasswd(user: String, password: String)
    /// Bearer tokens from a token server (Docker Hub / Harbor flow); tokens live `expiresIn`
    /// seconds. Without credentials the token server grants empty access.
    case token(user: String, password: String, expiresIn: Int = 300)

    public var user: String? {
        switch self {
        case .anonymous: nil
        case .htpasswd(let user, _), .token(let user, _, _): user
        }
    }

    public var password: String? {
        switch self {
        case .anonymous: nil
        case .htpasswd(_, let password), .token(_, let password, _): password
        }
    }
}

/// A real registry (Debian `docker-registry`, CNCF distribution 2.8) on 127.0.0.1 and a free
/// port, for one test. Its files live in `directory` (config, logs, certificates); blob storage
/// is on tmpfs (/dev/shm) when available because the registry fsyncs every file it writes (set
/// FERRY_TEST_REGISTRY_TMPFS=0 to keep it in `directory`). `stop()` (or deinit) kills the
/// registry and the token server and removes the files; if the test process dies, a watchdog
/// (Resources/reaper.py) does the same.
///
///     let registry = try await TestRegistry.start(auth: .token(user: "u", password: "p"))
///     defer { registry.stop() }
///     let corpus = try await registry.push()      // profile "small", seed 42
public final class TestRegistry: Sendable {
    public let auth: RegistryAuth
    public let port: UInt16
    /// "http" or "https".
    public let scheme: String
    /// Temporary directory with config.yml, registry.log, htpasswd, tls/, token/.
    public let directory: URL
    /// The registry's filesystem storage root.
    public let storageDirectory: URL
    /// CA certificate (PEM) that signed the server certificate, when TLS.
    public let caCertificatePath: String?
    /// Directory containing only `ca.crt`, when TLS (skopeo `--cert-dir`).
    public let certDirectory: String?
    /// The token server, in token mode.
    public let tokenServer: TokenServer?
    /// Value of the `X-Ferry-Test-Id` header this registry adds to every response.
    public let instanceID: String

    private let process: ChildProcess
    private let stopped = LockedValue(false)

    /// "127.0.0.1:PORT"
    public var host: String { "127.0.0.1:\(port)" }

    /// "http://127.0.0.1:PORT" or "https://…"
    public var baseURL: URL { URL(string: "\(scheme)://\(host)")! }

    /// Path of the registry's log (stdout and stderr, including the access log).
    public var logPath: String { directory.appendingPathComponent("registry.log").path }

    /// "127.0.0.1:PORT/" + `repositoryAndTag`, e.g. reference("apps/web:1.0").
    public func reference(_ repositoryAndTag: String) -> String {
        "\(host)/\(repositoryAndTag)"
    }

    /// A pusher configured for this registry (scheme, CA, credentials).
    public var pusher: FixturePusher {
        FixturePusher(registry: host, scheme: scheme, caCertificatePath: caCertificatePath,
                      user: auth.user, password: auth.password)
    }

    private init(auth: RegistryAuth, port: UInt16, scheme: String, directory: URL,
                 storageDirectory: URL, tls: TestCertificates.TLS?, tokenServer: TokenServer?,
                 instanceID: String, process: ChildProcess) {
        self.auth = auth
        self.port = port
        self.scheme = scheme
        self.directory = directory
        self.storageDirectory = storageDirectory
        self.caCertificatePath = tls?.caCertificatePath
        self.certDirectory = tls?.certDirectory
        self.tokenServer = tokenServer
        self.instanceID = instanceID
        self.process = process
    }

    deinit {
        stop()
    }

    // MARK: - Starting

    /// Starts a registry and waits (at most ~10 s) until `/v2/` answers 200 or 401.
    public static func start(auth: RegistryAuth = .anonymous, tls: Bool = false) async throws
        -> TestRegistry {
        let fm = FileManager.default
        let id = UUID().uuidString.lowercased()
        let directory = fm.temporaryDirectory.appendingPathComponent("ferry-test-registry-\(id)")
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let storage = try makeStorage(id: id, directory: directory)
        var tokenServer: TokenServer?
        do {
            var authBlock = ""
            switch auth {
            case .anonymous:
                break
            case .htpasswd(let user, let password):
                let entry = try await ChildProcess.run("htpasswd", ["-Bbn", user, password])
                let file = directory.appendingPathComponent("htpasswd")
                try Data(entry.stdout).write(to: file)
                authBlock = """
                    auth:
                      htpasswd:
                        realm: \(yaml("ferry-test-registry"))
                        path: \(yaml(file.path))

                    """
            case .token(let user, let password, let expiresIn):
                let server = try await TokenServer.start(
                    directory: directory.appendingPathComponent("token"),
                    user: user, password: password, expiresIn: expiresIn)
                tokenServer = server
                authBlock = """
                    auth:
                      token:
                        realm: \(yaml(server.realm))
                        service: \(yaml(server.service))
                        issuer: \(yaml(server.issuer))
                        rootcertbundle: \(yaml(server.certificatePath))

                    """
            }
            let certificates = tls
                ? try await TestCertificates.makeTLS(in: directory.appendingPathComponent("tls"))
                : nil
            var failures: [String] = []
            for _ in 0..<5 {
                let port = try FreePort.allocate()
                let config = makeConfig(port: port, storage: storage, instanceID: id,
                                        tls: certificates, authBlock: authBlock)
                let configURL = directory.appendingPathComponent("config.yml")
                try Data(config.utf8).write(to: configURL)
                let logPath = directory.appendingPathComponent("registry.log").path
                let process = try launchRegistry(config: configURL.path, logPath: logPath,
                                                 cleanup: [storage.path, directory.path])
                let scheme = tls ? "https" : "http"
                let probe = FixturePusher(registry: "127.0.0.1:\(port)", scheme: scheme,
                                          caCertificatePath: certificates?.caCertificatePath)
                // Generous: many suites start registries at the same moment on 2 cores, and a
                // loaded machine (the whole suite in parallel) took over 10 s to get them all up.
                let readiness = try await waitUntilReady(process: process, port: port,
                                                         probe: probe, instanceID: id, timeout: 60)
                if readiness == .ready {
                    return TestRegistry(
                        auth: auth, port: port, scheme: scheme,
                        directory: directory, storageDirectory: storage, tls: certificates,
                        tokenServer: tokenServer, instanceID: id, process: process)
                }
                process.stop(grace: 1)
                let log = process.logTail(lines: 30)
                if readiness == .portTaken || log.contains("address already in use") {
                    failures.append("port \(port) taken")
                    try? fm.removeItem(atPath: logPath)
                    continue
                }
                let what = readiness == .exited
                    ? "exited with status \(process.exitStatus ?? -1)"
                    : "did not answer on \(scheme)://127.0.0.1:\(port)/v2/ within 60 s"
                throw TestSupportError("""
                    docker-registry \(what). Config:
                    \(config)
                    Log tail:
                    \(log)
                    """)
            }
            throw TestSupportError("docker-registry could not bind a port: \(failures)")
        } catch {
            tokenServer?.stop()
            try? fm.removeItem(at: storage)
            try? fm.removeItem(at: directory)
            throw error
        }
    }

    private static func makeStorage(id: String, directory: URL) throws -> URL {
        let fm = FileManager.default
        let inDirectory = directory.appendingPathComponent("storage")
        let env = ProcessInfo.processInfo.environment["FERRY_TEST_REGISTRY_TMPFS"]
        let shm = "/dev/shm"
        if env != "0", fm.isWritableFile(atPath: shm) {
            let url = URL(fileURLWithPath: shm).appendingPathComponent("ferry-test-registry-\(id)")
            if (try? fm.createDirectory(at: url, withIntermediateDirectories: true)) != nil {
                // A link from the registry directory, for people looking around.
                try? fm.createSymbolicLink(at: inDirectory, withDestinationURL: url)
                return url
            }
        }
        try fm.createDirectory(at: inDirectory, withIntermediateDirectories: true)
        return inDirectory
    }

    private static func makeConfig(port: UInt16, storage: URL, instanceID: String,
                                   tls: TestCertificates.TLS?, authBlock: String) -> String {
        var config = """
            version: 0.1
            log:
              level: warn
              formatter: text
            storage:
              filesystem:
                rootdirectory: \(yaml(storage.path))
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: \(yaml("127.0.0.1:\(port)"))
              secret: \(yaml(UUID().uuidString))
              headers:
                X-Ferry-Test-Id: [\(yaml(instanceID))]

            """
        if let tls {
            config += """
                  tls:
                    certificate: \(yaml(tls.serverCertificatePath))
                    key: \(yaml(tls.serverKeyPath))

                """
        }
        // Foreign (non-distributable) layers name URLs; allow them so tests can push such
        // images. Top level, after everything nested under `http:` (tls continues that block).
        let validation = """

            validation:
              manifests:
                urls:
                  allow:
                    - ^https?://

            """
        return config + authBlock + validation
    }

    /// docker-registry under reaper.py, which stops it and removes `cleanup` if the test
    /// process dies without calling stop().
    private static func launchRegistry(config: String, logPath: String, cleanup: [String]) throws
        -> ChildProcess {
        guard let registry = ChildProcess.which("docker-registry") else {
            throw TestSupportError(
                "docker-registry not found: install Debian's docker-registry (scripts/install-deps)")
        }
        var arguments = [try PythonTools.resource("reaper.py")]
        for path in cleanup { arguments += ["--cleanup", path] }
        arguments += ["--", registry, "serve", config]
        // REGISTRY_* variables override the config file: keep the test's environment out.
        return try ChildProcess.launch(try PythonTools.stdlibOnly(), arguments,
                                       removingEnvironmentPrefixes: ["REGISTRY_"],
                                       logPath: logPath)
    }

    /// Polls until this registry (recognised by its X-Ferry-Test-Id header: another test's
    /// registry may have taken the port first) answers /v2/ with 200 or 401.
    private static func waitUntilReady(process: ChildProcess, port: UInt16, probe: FixturePusher,
                                       instanceID: String, timeout: TimeInterval) async throws
        -> Readiness {
        let deadline = Date().addingTimeInterval(timeout)
        // Probe, then look at the clock: a sleep that overran the deadline (the cooperative
        // pool starved by other tests' blocking waits) still gets its probe before the verdict.
        while true {
            if !process.isRunning { return .exited }
            if LoopbackHTTP.canConnect(port: port) {
                if probe.scheme == "http" {
                    if let response = try? LoopbackHTTP.get(port: port, path: "/v2/", timeout: 2),
                       response.status == 200 || response.status == 401 {
                        return response.headers["x-ferry-test-id"] == instanceID
                            ? .ready : .portTaken
                    }
                } else {
                    if await probe.probe(header: ("X-Ferry-Test-Id", instanceID)) {
                        return .ready
                    }
                }
            }
            if Date() >= deadline { return .timedOut }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    private enum Readiness {
        case ready, portTaken, exited, timedOut
    }

    // MARK: - Using

    /// Pushes a generated profile ("small", "demo", "bench") with ferry-fixtures.py.
    public func push(profile: String = "small", seed: UInt64 = 42, prefix: String = "",
                     scaleMB: Int? = nil) async throws -> PushedCorpus {
        try await pusher.push(profile: profile, seed: seed, prefix: prefix, scaleMB: scaleMB)
    }

    /// Repositories in /v2/_catalog, as seen by the pusher (with this registry's credentials).
    public func catalog() async throws -> [String] {
        try await pusher.catalog()
    }

    /// The token server's counters (token mode only).
    public func tokenStats() async throws -> TokenStats {
        guard let tokenServer else {
            throw TestSupportError("tokenStats(): registry is not in token mode")
        }
        return try await tokenServer.stats()
    }

    /// The last `lines` lines of the registry log.
    public func logTail(lines: Int = 40) -> String {
        process.logTail(lines: lines)
    }

    /// True while the registry process runs.
    public var isRunning: Bool { process.isRunning }

    /// Kills the registry and the token server and removes the temporary files. Idempotent.
    public func stop() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        process.stop(grace: 5)
        tokenServer?.stop()
        let fm = FileManager.default
        try? fm.removeItem(at: storageDirectory)
        try? fm.removeItem(at: directory)
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
private func yaml(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
