/// How to reach registries: which may use plain HTTP, how TLS is verified, how to retry.
public struct RegistryConfiguration: Sendable {
    /// Registries (`host[:port]`) spoken to over plain HTTP when they do not offer TLS, and
    /// whose certificates are not verified (`--insecure-registry`). Loopback registries
    /// may also fall back to plain HTTP, but keep certificate verification when they offer TLS.
    public var insecureRegistries: Set<String>
    /// Verify TLS certificates (`--tls-verify=false` turns this off for every registry).
    public var tlsVerify: Bool
    /// Extra trusted CA certificates (`*.crt`, `*.pem`) added to the system bundle (`--cert-dir`).
    public var certDirectory: String?
    public var retry: RetryPolicy

    public init(insecureRegistries: Set<String> = [], tlsVerify: Bool = true, certDirectory: String? = nil,
                retry: RetryPolicy = RetryPolicy()) {
        self.insecureRegistries = insecureRegistries
        self.tlsVerify = tlsVerify
        self.certDirectory = certDirectory
        self.retry = retry
    }

    /// Loopback hosts: `localhost`, `127.0.0.0/8`, `[::1]`.
    public static func isLoopback(_ registry: String) -> Bool {
        let host: Substring
        if registry.hasPrefix("[") {
            host = registry.dropFirst().prefix { $0 != "]" }
            return host == "::1"
        }
        host = registry.split(separator: ":", maxSplits: 1).first ?? Substring(registry)
        return host == "localhost" || host.hasPrefix("127.")
    }
}
