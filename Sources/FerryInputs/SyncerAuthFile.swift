public import FerryRegistry
import FerryCore
import Foundation

/// An image-syncer / SWR image-migrator `auth.json` (or its YAML form), as a credential source
/// for `RegistryClient` (`formats/sync-files/SPEC.md`, "auth.json").
///
/// Keys are `registry` or `registry/namespace`; for a repository the longest key that is the
/// registry itself or a path prefix of `registry/repository` wins, as in image-syncer's
/// `GetAuth`. Values hold `username`, `password` (each may be `${VAR}` or `$VAR`, see
/// `EnvironmentExpansion`), optional `identityToken`, and `insecure`. `{}` (or an entry with
/// no username) means anonymous: this file offers no credential for it, so later sources in a
/// `ChainedCredentials` may still answer.
public struct SyncerAuthFile: CredentialProvider {
    /// One key of the file, its credential already expanded.
    public struct Entry: Sendable, Equatable {
        /// Normalised key: `quay.io`, `quay.io/coreos`, `docker.io/library`.
        public let key: String
        /// nil for an anonymous entry.
        public let credential: Credential?
        /// Plain HTTP (and unverified TLS) for this registry.
        public let insecure: Bool

        /// The registry part of the key.
        public var registry: String { String(key.split(separator: "/", maxSplits: 1).first ?? Substring(key)) }
    }

    /// File name for messages (or `stdin`).
    public let source: String
    /// Entries in file order.
    public let entries: [Entry]

    /// Parses an auth file; `environment` supplies `${VAR}` values (pass the process's).
    public init(text: String, source: String, environment: [String: String]) throws(FerryInputsError) {
        self.source = source
        guard let root = try YAMLReader.single(text, source: source) else {
            entries = []
            return
        }
        guard let pairs = root.entries else {
            throw .shape(source: source, path: "", reason: "an auth file is a mapping of registry → {username, password, insecure}, not \(root.kindName)")
        }
        var entries: [Entry] = []
        for (rawKey, value) in pairs {
            let key = Self.normaliseKey(rawKey)
            guard !key.isEmpty else { throw .shape(source: source, path: rawKey, reason: "empty registry key") }
            let fields: [(key: String, value: InputValue)]
            switch value {
            case .null: fields = []
            case .mapping(let mapping): fields = mapping
            default: throw .shape(source: source, path: rawKey, reason: "expected {username, password, insecure}, found \(value.kindName)")
            }
            func text(_ field: String) throws(FerryInputsError) -> String? {
                guard let found = fields.last(where: { $0.key == field })?.value else { return nil }
                switch found {
                case .null: return nil
                case .scalar(let string, _):
                    return try EnvironmentExpansion.expand(string, environment: environment, source: source, key: rawKey, field: field)
                default:
                    throw .shape(source: source, path: "\(rawKey).\(field)", reason: "expected a string, found \(found.kindName)")
                }
            }
            let username = try text("username")
            let password = try text("password")
            let token = try text("identityToken")
            var insecure = false
            if let flag = fields.last(where: { $0.key == "insecure" })?.value, flag != .null {
                guard let parsed = flag.bool else {
                    throw .shape(source: source, path: "\(rawKey).insecure", reason: "expected true or false")
                }
                insecure = parsed
            }
            var credential: Credential?
            if let token, !token.isEmpty {
                credential = Credential(username: username.flatMap { $0.isEmpty ? nil : $0 } ?? "<token>", password: "", identityToken: token)
            } else if let username, !username.isEmpty {
                credential = Credential(username: username, password: password ?? "")
            }
            entries.append(Entry(key: key, credential: credential, insecure: insecure))
        }
        self.entries = entries
    }

    /// Reads and parses `path`.
    public static func load(path: String, environment: [String: String]) throws(FerryInputsError) -> SyncerAuthFile {
        try SyncerAuthFile(text: try InputText.read(path: path), source: path, environment: environment)
    }

    /// Registries (hosts) with `insecure: true`. A namespace key marks its whole registry:
    /// ferry decides plain HTTP per host, not per repository.
    public var insecureRegistries: Set<String> {
        Set(entries.filter(\.insecure).map(\.registry))
    }

    /// The entry for a repository: the longest key equal to `registry` or a path prefix of
    /// `registry/repository` (so `quay.io/core` does not match `quay.io/coreos/etcd`).
    public func entry(registry: String, repository: String?) -> Entry? {
        let host = Self.normaliseKey(registry)
        let full = repository.map { "\(host)/\($0)" } ?? host
        return entries
            .filter { $0.key == host || $0.key == full || full.hasPrefix($0.key + "/") }
            .max { $0.key.count < $1.key.count }
    }

    public func credential(registry: String, repository: String?) async throws -> Credential? {
        entry(registry: registry, repository: repository)?.credential
    }

    /// `https://registry.hub.docker.com/` → `docker.io`; `quay.io/coreos/` → `quay.io/coreos`.
    /// image-syncer's older releases spell Docker Hub `registry.hub.docker.com`.
    static func normaliseKey(_ key: String) -> String {
        var text = key.trimmingCharacters(in: .whitespaces)
        for prefix in ["https://", "http://"] where text.lowercased().hasPrefix(prefix) { text.removeFirst(prefix.count) }
        while text.hasSuffix("/") { text.removeLast() }
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let host = parts.first else { return "" }
        let normalisedHost = ImageReference.canonicalRegistry(host.lowercased())
        return parts.count == 2 ? "\(normalisedHost)/\(parts[1])" : normalisedHost
    }
}
