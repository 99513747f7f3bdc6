import Foundation

/// One file of a client configuration: where it goes under the output directory, and its text.
public struct MirrorFile: Sendable, Equatable {
    public let path: String
    public let text: String
}

/// How the mirror is reached.
public struct MirrorAccess: Sendable, Equatable {
    /// Plain HTTP (and no certificate checks) to the mirror: a registry without TLS.
    public var insecure: Bool

    public init(insecure: Bool = false) { self.insecure = insecure }

    func url(_ registry: String) -> String { (insecure ? "http://" : "https://") + registry }
}

/// Quoting for TOML and YAML double-quoted strings: the names are registry hosts and paths,
/// but a file a cluster reads must not break on a quote or a backslash.
func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// Docker Hub's API host: containerd's `server` for docker.io.
func apiHost(_ registry: String) -> String { registry == "docker.io" ? "registry-1.docker.io" : registry }
