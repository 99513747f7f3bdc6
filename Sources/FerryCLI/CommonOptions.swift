import ArgumentParser
import FerryCore
import FerryHTTP
import FerryRegistry
import Foundation
import Logging

/// How to reach registries and authenticate; shared by every command that talks to one.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("insecure-registry"),
            help: ArgumentHelp("Registry (host:port) that may use plain HTTP and unverified TLS. Repeatable. Loopback registries may always fall back to plain HTTP.", valueName: "host:port"))
    var insecureRegistries: [String] = []

    @Option(name: .customLong("tls-verify"), help: "Verify TLS certificates (--tls-verify=false to disable for every registry).")
    var tlsVerify: Bool = true

    @Option(name: .customLong("cert-dir"), help: ArgumentHelp("Directory of extra CA certificates (*.crt, *.pem) trusted in addition to the system's.", valueName: "dir"))
    var certDirectory: String?

    @Option(name: .customLong("authfile"), help: ArgumentHelp("Credentials file (containers auth.json or docker config.json). Default: $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json, then ~/.docker/config.json.", valueName: "path"))
    var authFile: String?

    @Option(name: .customLong("auth-syncer"), help: ArgumentHelp("image-syncer / SWR auth.json or auth.yaml: credentials per registry or registry/namespace (the longest match wins; ${VAR} and $VAR values from the environment) and insecure (plain HTTP) registries. Consulted after --creds, before --authfile.", valueName: "path"))
    var authSyncer: String?

    @Option(name: .customLong("creds"), help: ArgumentHelp("Username and password for the registry, as user:password. Only for commands that talk to ONE registry.", valueName: "user:password"))
    var creds: String?

    @Option(name: .customLong("retries"), help: "Attempts per request on connection errors, 5xx and 429.")
    var retries: Int = 5

    @Option(name: .customLong("limit-rate"), help: ArgumentHelp("Bandwidth limit for all transfers together, bytes per second (K/M/G are powers of 1000, Ki/Mi/Gi of 1024; 20M is 20 MB/s), for links shared with production traffic.", valueName: "rate"))
    var limitRate: String?

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds one small request (manifest, token, tag list, blob HEAD) may take in all, per attempt: a server that sends it a byte at a time is cut off.", valueName: "seconds"))
    var requestTimeout: Int = 60

    @Option(name: .customLong("min-rate"), help: ArgumentHelp("A blob download or upload slower than RATE bytes/s for SECONDS is cut and retried (K/M/G are powers of 1000, Ki/Mi/Gi of 1024). With --limit-rate, lowered to half of each transfer's share.", valueName: "rate[/seconds]"))
    var minRate: String = "10K/60"

    /// `--min-rate` as bytes per second and seconds; nil when malformed.
    static func parseMinRate(_ text: String) -> (bytesPerSecond: Int64, seconds: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let rate = ByteCount.parse(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (rate, 60) }
        var seconds = String(parts[1])
        if seconds.hasSuffix("s") { seconds.removeLast() }
        guard let value = Int(seconds), value >= 1 else { return nil }
        return (rate, value)
    }

    /// The credential providers in precedence order: `--creds`, then the auth file.
    /// `fileProviders` (from input files) come between `--creds` and the auth file.
    func credentials(registries: Set<String>, fileProviders: [any CredentialProvider] = []) throws -> any CredentialProvider {
        var providers: [any CredentialProvider] = []
        if let creds {
            // Only for the registry (or chart repository) it was checked against: hosts met
            // later (a chart's download host, a dependency's registry, a chart's images) never
            // get it.
            let credential = StaticCredentials(try Self.password(creds, flag: "--creds", registries: registries, instead: "--authfile"))
            providers.append(registries.isEmpty ? credential : ScopedCredentials(registries: registries, credential))
        }
        providers += fileProviders
        let environment = ProcessInfo.processInfo.environment
        if let path = AuthFile.locate(explicit: authFile, environment: environment) {
            let explicitlyNamed = authFile != nil || environment["REGISTRY_AUTH_FILE"].map { !$0.isEmpty } == true
            if FileManager.default.fileExists(atPath: path) || explicitlyNamed {
                providers.append(try AuthFile(path: path))
            }
        }
        return ChainedCredentials(providers)
    }

    /// A `user:password` option's credential, for one registry only: a password is never
    /// offered to several registries (`instead` names the option that can serve them).
    static func password(_ text: String, flag: String, registries: Set<String>, instead: String) throws -> Credential {
        guard let credential = Credential(userColonPassword: text) else { throw ValidationError("\(flag) must be user:password") }
        guard registries.count <= 1 else {
            throw ValidationError("\(flag) would send one password to several registries (\(registries.sorted().joined(separator: ", "))); use \(instead)")
        }
        return credential
    }

    func makeClient(registries: Set<String>, jobs: Int, logger: Logger,
                    credentials explicit: (any CredentialProvider)? = nil,
                    fileSettings: InputRegistrySettings = InputRegistrySettings()) throws -> RegistryClient {
        let fileSettings = try fileSettings.adding(syncerAuth: authSyncer)
        for registry in insecureRegistries where registry.isEmpty || registry.contains("/") {
            throw ValidationError("--insecure-registry takes host[:port], got \"\(registry)\"")
        }
        guard retries >= 1 else { throw ValidationError("--retries must be at least 1") }
        guard requestTimeout >= 1 else { throw ValidationError("--request-timeout must be at least 1 second") }
        guard let minimum = Self.parseMinRate(minRate) else {
            throw ValidationError("--min-rate takes RATE or RATE/SECONDS, like 10K or 1M/30")
        }
        var httpConfiguration = HTTPConfiguration(maximumConcurrentTransfers: max(jobs, 1) + 2, lowSpeedLimitBytesPerSecond: Int(minimum.bytesPerSecond),
                                                  lowSpeedTimeSeconds: minimum.seconds, requestTimeoutMilliseconds: requestTimeout * 1000,
                                                  userAgent: "ferry/\(FerryVersion.current)")
        if let limitRate {
            guard let rate = ByteCount.parse(limitRate), rate >= 1024 else {
                throw ValidationError("--limit-rate takes a rate of at least 1K per second, like 500K or 20M")
            }
            httpConfiguration.rateLimiter = RateLimiter(bytesPerSecond: rate)
            // Every transfer shares the limit; a minimum above half a transfer's share would cut
            // transfers that are only waiting their turn.
            let share = Int(rate) / max(jobs, 1) / 2
            httpConfiguration.lowSpeedLimitBytesPerSecond = max(1, min(httpConfiguration.lowSpeedLimitBytesPerSecond, share))
        }
        let http = HTTPClient(configuration: httpConfiguration)
        let configuration = RegistryConfiguration(insecureRegistries: Set(insecureRegistries).union(fileSettings.insecureRegistries),
                                                  tlsVerify: tlsVerify, certDirectory: certDirectory ?? fileSettings.certDirectory,
                                                  retry: RetryPolicy(maximumAttempts: retries))
        return RegistryClient(http: http, configuration: configuration,
                              credentials: try explicit ?? credentials(registries: registries, fileProviders: fileSettings.providers),
                              logger: logger)
    }
}

/// Output and logging options shared by every command.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .customLong("format"), help: "Output format on stdout: text or json.")
    var format: Format = .text

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Nothing but errors: no progress or logs on stderr, no text result on stdout (with --format json the JSON result still prints).")
    var quiet = false

    /// The result's format on stdout; nil when `-q` asks for nothing but errors (issue 17: the
    /// text result still printed with -q). A JSON result is data a script asked for: it stays.
    var result: Format? { quiet && format == .text ? nil : format }

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "More logs on stderr (repeat for debug: -vv). Secrets are never logged.")
    var verbosity: Int

    var logLevel: Logger.Level {
        if quiet { return .error }
        switch verbosity {
        case 0: return .warning
        case 1: return .info
        default: return .debug
        }
    }
}
