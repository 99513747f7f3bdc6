import FerryCore
public import FerryRegistry

/// A `skopeo sync --src yaml` file: per registry, `images` (repository → tags or digests, `[]`
/// for all tags), `images-by-tag-regex`, `images-by-semver`, `credentials`, `tls-verify` and
/// `cert-dir` (`formats/sync-files/SPEC.md`, "skopeo sync YAML"). Its images carry no
/// destination: it comes from the command line, so every rule goes to `.defaultLocation`.
public struct SkopeoSyncFile: Sendable {
    /// One top-level key.
    public struct Registry: Sendable, Equatable {
        /// `registry.example.com` (port included when given).
        public let host: String
        public let credential: Credential?
        /// `tls-verify`; nil when not written (skopeo's default: verify).
        public let tlsVerify: Bool?
        public let certDirectory: String?
    }

    public let source: String
    public let registries: [Registry]
    /// In file order: per registry `images`, then `images-by-tag-regex`, then `images-by-semver`.
    public let rules: [SyncRule]

    static let registryKeys: Set<String> = ["images", "images-by-tag-regex", "images-by-semver", "credentials", "tls-verify", "cert-dir"]

    public init(text: String, source: String) throws(FerryInputsError) {
        try self.init(value: try YAMLReader.single(text, source: source) ?? .mapping([]), source: source)
    }

    public init(value root: InputValue, source: String) throws(FerryInputsError) {
        self.source = source
        guard let top = root.entries else {
            throw .shape(source: source, path: "", reason: "a skopeo sync file is a mapping of registry → settings, not \(root.kindName)")
        }
        var registries: [Registry] = []
        var rules: [SyncRule] = []
        for (host, settings) in top {
            guard ImageReference.isValidRegistry(host) else {
                throw .shape(source: source, path: host, reason: "not a registry host[:port]")
            }
            guard let fields = settings.entries else {
                throw .shape(source: source, path: host, reason: "expected registry settings (images, credentials, …), found \(settings.kindName)")
            }
            if let unknown = fields.first(where: { !Self.registryKeys.contains($0.key) }) {
                throw .shape(source: source, path: "\(host).\(unknown.key)", reason: "unknown key (expected one of \(Self.registryKeys.sorted().joined(separator: ", ")))")
            }
            func repository(_ name: String, path: String) throws(FerryInputsError) -> RepositoryName {
                do {
                    return try RepositoryName(parsing: "\(host)/\(name)")
                } catch {
                    throw .shape(source: source, path: path, reason: error.description)
                }
            }
            for (name, list) in settings["images"]?.entries ?? [] {
                let path = "\(host).images.\(name)"
                let repo = try repository(name, path: path)
                let items: [InputValue]
                switch list {
                case .null: items = []
                case .sequence(let values): items = values
                default: throw .shape(source: source, path: path, reason: "expected a list of tags or digests, found \(list.kindName)")
                }
                if items.isEmpty {
                    rules.append(SyncRule(text: "\(repo) (all tags)", source: repo, selection: .allTags, destinations: [.defaultLocation]))
                    continue
                }
                var tags: [String] = []
                for item in items {
                    guard let text = item.string else { throw .shape(source: source, path: path, reason: "a tag or digest is a string") }
                    if text.contains(":") {
                        do {
                            let digest = try Digest(parsing: text)
                            rules.append(SyncRule(text: "\(repo)@\(digest)", source: repo, selection: .digest(digest), destinations: [.defaultLocation]))
                        } catch {
                            throw .shape(source: source, path: path, reason: "\"\(text)\" is neither a tag nor a digest: \(error.description)")
                        }
                    } else {
                        do {
                            guard let tag = try ImageReference(parsing: "\(repo):\(text)").tag else { continue }
                            if !tags.contains(tag) { tags.append(tag) }
                        } catch {
                            throw .shape(source: source, path: path, reason: error.description)
                        }
                    }
                }
                if !tags.isEmpty {
                    rules.append(SyncRule(text: "\(repo):\(tags.joined(separator: ","))", source: repo, selection: .tags(tags), destinations: [.defaultLocation]))
                }
            }
            for (name, value) in settings["images-by-tag-regex"]?.entries ?? [] {
                let path = "\(host).images-by-tag-regex.\(name)"
                let repo = try repository(name, path: path)
                guard let pattern = value.string else { throw .shape(source: source, path: path, reason: "expected a regular expression string") }
                rules.append(SyncRule(text: "\(repo) /\(pattern)/", source: repo, selection: .pattern(try TagPattern(pattern, source: source)),
                                      destinations: [.defaultLocation]))
            }
            for (name, value) in settings["images-by-semver"]?.entries ?? [] {
                let path = "\(host).images-by-semver.\(name)"
                let repo = try repository(name, path: path)
                // skopeo takes one constraint string; a list (seen in forks) means any of them.
                let texts: [String]
                switch value {
                case .scalar(let text, _): texts = [text]
                case .sequence(let items) where items.allSatisfy({ $0.string != nil }): texts = items.compactMap(\.string)
                default: throw .shape(source: source, path: path, reason: "expected a constraint string such as \">= 1.2.0, < 2.0.0\"")
                }
                let constraint = try SemverConstraint(parsing: texts.joined(separator: " || "), source: source)
                rules.append(SyncRule(text: "\(repo) \"\(constraint)\"", source: repo, selection: .semver(constraint), destinations: [.defaultLocation]))
            }
            var credential: Credential?
            if let credentials = settings["credentials"], credentials != .null {
                guard let username = credentials["username"]?.string, !username.isEmpty else {
                    throw .shape(source: source, path: "\(host).credentials", reason: "expected {username, password}")
                }
                credential = Credential(username: username, password: credentials["password"]?.string ?? "")
            }
            var tlsVerify: Bool?
            if let value = settings["tls-verify"], value != .null {
                guard let flag = value.bool else { throw .shape(source: source, path: "\(host).tls-verify", reason: "expected true or false") }
                tlsVerify = flag
            }
            var certDirectory: String?
            if let value = settings["cert-dir"], value != .null {
                guard let text = value.string, !text.isEmpty else { throw .shape(source: source, path: "\(host).cert-dir", reason: "expected a directory path") }
                certDirectory = text
            }
            registries.append(Registry(host: host, credential: credential, tlsVerify: tlsVerify, certDirectory: certDirectory))
        }
        self.registries = registries
        self.rules = rules
    }

    /// Registries with `tls-verify: false` (plain HTTP and unverified TLS, as skopeo does).
    public var insecureRegistries: Set<String> {
        Set(registries.filter { $0.tlsVerify == false }.map(\.host))
    }

    /// The `credentials` blocks as a credential source.
    public var credentials: any CredentialProvider { SkopeoCredentials(byHost: registries.reduce(into: [:]) { $0[$1.host] = $1.credential }) }
}

/// `credentials` per registry host from a skopeo sync file.
struct SkopeoCredentials: CredentialProvider {
    let byHost: [String: Credential?]
    func credential(registry: String, repository: String?) async throws -> Credential? {
        byHost[registry] ?? nil
    }
}
