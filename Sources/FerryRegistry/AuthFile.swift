import Foundation

/// Credentials from a containers `auth.json` or a docker `config.json` (`formats/auth-files/`).
///
/// Keys of `auths` are a registry (`quay.io`), a registry with a namespace
/// (`quay.io/org`, the longest match wins), or a legacy URL (`https://index.docker.io/v1/`).
/// `credHelpers` name a helper per registry and `credsStore` names the default helper; a
/// helper is run as `docker-credential-<name> get` with the server on standard input.
public struct AuthFile: CredentialProvider {
    public let path: String
    let auths: [String: Entry]
    let credHelpers: [String: String]
    let credsStore: String?
    /// Where `docker-credential-*` helpers are looked up; nil means `$PATH`.
    let helperDirectories: [String]?

    struct Entry: Decodable, Sendable {
        var auth: String?
        var username: String?
        var password: String?
        var identitytoken: String?
    }

    private struct Document: Decodable {
        var auths: [String: Entry]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    /// Loads and parses `path`. A missing file is an error here; `locate` decides what exists.
    public init(path: String, helperDirectories: [String]? = nil) throws {
        self.path = path
        self.helperDirectories = helperDirectories
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RegistryError.authFile(path: path, reason: "cannot read (\((error as NSError).localizedDescription))")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            // Never echo the file: it holds secrets.
            throw RegistryError.authFile(path: path, reason: "not valid auth JSON")
        }
        var auths: [String: Entry] = [:]
        for (key, value) in document.auths ?? [:] { auths[Self.normaliseKey(key)] = value }
        self.auths = auths
        var helpers: [String: String] = [:]
        for (key, value) in document.credHelpers ?? [:] { helpers[Self.normaliseKey(key)] = value }
        credHelpers = helpers
        credsStore = document.credsStore
    }

    /// The auth file ferry reads when none is given: `REGISTRY_AUTH_FILE`, then
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, then `$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`; the first that exists.
    public static func locate(explicit: String?, environment: [String: String]? = nil) -> String? {
        if let explicit { return explicit }
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let path = environment["REGISTRY_AUTH_FILE"], !path.isEmpty { return path }
        var candidates: [String] = []
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            candidates.append("\(runtime)/containers/auth.json")
        }
        if let dockerConfig = environment["DOCKER_CONFIG"], !dockerConfig.isEmpty {
            candidates.append("\(dockerConfig)/config.json")
        }
        if let home = environment["HOME"], !home.isEmpty { candidates.append("\(home)/.docker/config.json") }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    public func credential(registry: String, repository: String?) async throws -> Credential? {
        let host = Self.normaliseKey(registry)
        // registry/namespace keys: the longest prefix of "registry/repository" wins.
        let full = repository.map { "\(host)/\($0)" } ?? host
        let match = auths.keys
            .filter { key in key == host || key == full || (full.hasPrefix(key) && full.dropFirst(key.count).first == "/") }
            .max { $0.count < $1.count }
        if let helper = credHelpers[host] {
            return try CredentialHelper(name: helper, directories: helperDirectories).get(server: Self.helperServer(host))
        }
        if let match, let entry = auths[match] {
            if let decoded = try decode(entry, key: match) { return decoded }
        }
        if let store = credsStore, !store.isEmpty {
            return try CredentialHelper(name: store, directories: helperDirectories).get(server: Self.helperServer(host))
        }
        return nil
    }

    private func decode(_ entry: Entry, key: String) throws -> Credential? {
        if let auth = entry.auth, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
                  let credential = Credential(userColonPassword: text) else {
                throw RegistryError.authFile(path: path, reason: "the \"auth\" value for \(key) is not base64 of user:password")
            }
            return Credential(username: credential.username, password: credential.password,
                              identityToken: entry.identitytoken.flatMap { $0.isEmpty ? nil : $0 })
        }
        if let username = entry.username, let password = entry.password {
            return Credential(username: username, password: password)
        }
        if let token = entry.identitytoken, !token.isEmpty {
            return Credential(username: "<token>", password: "", identityToken: token)
        }
        return nil
    }

    /// `https://index.docker.io/v1/` → `docker.io`; `https://quay.io/` → `quay.io`.
    static func normaliseKey(_ key: String) -> String {
        var text = key
        for prefix in ["https://", "http://"] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix("/v1") || text.hasSuffix("/v2") { text.removeLast(3) }
        if text == "index.docker.io" || text == "registry-1.docker.io" { return "docker.io" }
        if text.hasPrefix("index.docker.io/") { return "docker.io/" + text.dropFirst("index.docker.io/".count) }
        return text
    }

    /// Docker's helpers store Docker Hub under its legacy URL.
    static func helperServer(_ host: String) -> String {
        host == "docker.io" ? "https://index.docker.io/v1/" : host
    }
}

/// Runs `docker-credential-<name> get`, killed if it does not answer within `timeout` (a helper
/// waiting for a keyring unlock or a network that is not there must not hang ferry).
struct CredentialHelper {
    let name: String
    let directories: [String]?
    var timeout: TimeInterval = 30

    func get(server: String) throws -> Credential? {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw RegistryError.credentialHelper(name: name, reason: "invalid helper name")
        }
        guard let executable = Self.find("docker-credential-\(name)", in: directories) else {
            throw RegistryError.credentialHelper(name: name, reason: "not found in PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw RegistryError.credentialHelper(name: name, reason: "cannot run it")
        }
        input.fileHandleForWriting.write(Data(server.utf8))
        do {
            try input.fileHandleForWriting.close()
        } catch {
            throw RegistryError.credentialHelper(name: name, reason: "cannot write to it")
        }
        // Both pipes are read on threads of their own: a chatty helper cannot fill stderr and
        // stall, and a hung one is given up on after `timeout` without waiting for its pipes
        // (children it started may hold them open).
        Thread { _ = errors.fileHandleForReading.readDataToEndOfFile() }.start()
        let answer = HelperOutput()
        let answered = DispatchSemaphore(value: 0)
        Thread {
            answer.set(output.fileHandleForReading.readDataToEndOfFile())
            answered.signal()
        }.start()
        guard answered.wait(timeout: .now() + timeout) == .success else {
            kill(process.processIdentifier, SIGKILL)
            throw RegistryError.credentialHelper(name: name, reason: "did not answer within \(Int(timeout)) s (killed)")
        }
        let data = answer.value
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // "credentials not found" is the helpers' way of saying: no entry.
            if String(decoding: data, as: UTF8.self).lowercased().contains("credentials not found") { return nil }
            throw RegistryError.credentialHelper(name: name, reason: "exited with status \(process.terminationStatus)")
        }
        struct Answer: Decodable { var Username: String; var Secret: String }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw RegistryError.credentialHelper(name: name, reason: "answer is not {\"Username\",\"Secret\"} JSON")
        }
        if answer.Username == "<token>" {
            return Credential(username: answer.Username, password: "", identityToken: answer.Secret)
        }
        return Credential(username: answer.Username, password: answer.Secret)
    }

    /// The helper's stdout, handed from its reader thread.
    final class HelperOutput: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ value: Data) { lock.withLock { data = value } }
        var value: Data { lock.withLock { data } }
    }

    /// The first executable called `name` on PATH.
    static func find(_ name: String, in directories: [String]?) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in directories ?? path.split(separator: ":").map(String.init) where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
