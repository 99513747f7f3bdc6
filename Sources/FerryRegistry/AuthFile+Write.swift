import FerryCore
import Foundation

/// Writing credentials (`ferry login`/`logout`) into a containers auth.json or docker
/// config.json, keeping every other key of the file as it was (`formats/auth-files/`).
extension AuthFile {
    /// Where `ferry login` writes when no file is named: `REGISTRY_AUTH_FILE`, then
    /// `$XDG_RUNTIME_DIR/containers/auth.json` (as podman and skopeo do), then
    /// `~/.docker/config.json`.
    public static func defaultWritePath(environment: [String: String]? = nil) -> String? {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let path = environment["REGISTRY_AUTH_FILE"], !path.isEmpty { return path }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return "\(runtime)/containers/auth.json" }
        if let home = environment["HOME"], !home.isEmpty { return "\(home)/.docker/config.json" }
        return nil
    }

    /// Stores `credential` for `registry` (as `auth`: base64 of user:password), creating the
    /// file (mode 0600) and its directory when missing. Written atomically.
    public static func store(_ credential: Credential, registry: String, path: String) throws {
        var document = try readDocument(path)
        var auths = document["auths"] as? [String: Any] ?? [:]
        auths[normaliseKey(registry)] = ["auth": Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()]
        document["auths"] = auths
        try writeDocument(document, to: path)
    }

    /// Removes the entry for `registry`; false when there was none.
    public static func remove(registry: String, path: String) throws -> Bool {
        var document = try readDocument(path)
        var auths = document["auths"] as? [String: Any] ?? [:]
        let key = normaliseKey(registry)
        let matching = auths.keys.filter { normaliseKey($0) == key }
        guard !matching.isEmpty else { return false }
        for name in matching { auths.removeValue(forKey: name) }
        document["auths"] = auths
        try writeDocument(document, to: path)
        return true
    }

    private static func readDocument(_ path: String) throws -> [String: Any] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.authFile(path: path, reason: "cannot read")
        }
        if data.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data), let document = object as? [String: Any] else {
            // Never echo the file: it holds secrets.
            throw RegistryError.authFile(path: path, reason: "not valid auth JSON; not changed")
        }
        return document
    }

    private static func writeDocument(_ document: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        do {
            try FileSystem.makeDirectories(FileSystem.directoryName(path))
            try FileSystem.writeAtomically(Array(data) + [0x0a], to: path, mode: 0o600)
        } catch {
            throw RegistryError.authFile(path: path, reason: "cannot write: \(error)")
        }
    }
}
