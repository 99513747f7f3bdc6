import FerryCore
import Foundation
import HummingbirdBcrypt

/// `--htpasswd FILE`: who may pull. The file is Apache's htpasswd format with bcrypt entries
/// (`htpasswd -B`), the one distribution accepts too, so an existing registry's file works as it
/// is. Requests carry HTTP Basic credentials (`Authorization: Basic …`), as every registry
/// client sends after a `WWW-Authenticate: Basic` challenge.
///
/// bcrypt is slow on purpose (tens of milliseconds), and a pull makes dozens of requests, so a
/// credential that checked once is remembered, by user and the SHA-256 of the password (the
/// password itself is not kept). Checks run off the cooperative pool. Neither the file's
/// hashes nor a request's credentials are ever logged.
public final class PullCredentials: @unchecked Sendable {
    /// What a request's credentials amount to.
    public enum Outcome: Sendable, Equatable {
        case allowed
        /// No or malformed credentials, an unknown user or a wrong password: the client is
        /// challenged again, and the log says which (never with the password).
        case refused(reason: String)
    }

    private let hashes: [String: String]
    private let lock = Mutex()
    /// Guarded by `lock`.
    private var checked: Set<String> = []

    /// Reads `path`. Refuses a file with no entries, or with an entry that is not bcrypt (MD5,
    /// SHA-1 and crypt entries are weak, and distribution refuses them as well).
    public init(path: String) throws(FerryServeError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .server(reason: "--htpasswd \(path): cannot be read: \(error.localizedDescription)")
        }
        var hashes: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .server(reason: "--htpasswd \(path), line \(number + 1): expected user:hash")
            }
            let user = String(line[..<colon]), hash = String(line[line.index(after: colon)...])
            guard !user.isEmpty, ["$2a$", "$2b$", "$2y$"].contains(where: { hash.hasPrefix($0) }) else {
                throw .server(reason: "--htpasswd \(path), line \(number + 1): only bcrypt entries are accepted (make them with htpasswd -B)")
            }
            // Apache's htpasswd writes `$2y$`, the same algorithm as `$2b$` under PHP's name for
            // it; the OpenBSD checker inside HummingbirdBcrypt knows only `$2a$` and `$2b$`.
            hashes[user] = hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
        }
        guard !hashes.isEmpty else { throw .server(reason: "--htpasswd \(path): no user in it") }
        self.hashes = hashes
    }

    /// Whether the `Authorization` header's value lets the request through.
    public func check(authorization: String?) async -> Outcome {
        guard let authorization, authorization.lowercased().hasPrefix("basic ") else {
            return .refused(reason: "no Basic credentials")
        }
        guard let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":") else {
            return .refused(reason: "malformed Basic credentials")
        }
        let user = String(pair[..<colon]), password = String(pair[pair.index(after: colon)...])
        guard let hash = hashes[user] else { return .refused(reason: "unknown user \(user)") }
        let key = user + "\u{0}" + DigestHasher.digest(of: Array(password.utf8)).description
        if lock.withLock({ checked.contains(key) }) { return .allowed }
        let matches: Bool
        do {
            matches = try await Blocking.run { Bcrypt.verify(password, hash: hash) }
        } catch {
            return .refused(reason: "the password of \(user) could not be checked: \(error)")
        }
        guard matches else { return .refused(reason: "wrong password for \(user)") }
        lock.withLock { _ = checked.insert(key) }
        return .allowed
    }
}
