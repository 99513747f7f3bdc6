import Foundation

/// A username and secret for one registry. Its descriptions never show the secret, so a
/// credential printed by mistake (a log line, an error, `dump`) leaks nothing.
public struct Credential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String
    /// An OAuth2 refresh token (Docker's `identitytoken`), used instead of the password for tokens.
    public var identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    /// Parses `user:password` (as given to `--creds`); the password may contain colons.
    public init?(userColonPassword text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let user = String(text[..<colon])
        guard !user.isEmpty else { return nil }
        self.init(username: user, password: String(text[text.index(after: colon)...]))
    }

    public var description: String { "Credential(username: \(username), secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["username": username, "secret": "<redacted>"]) }

    /// The value of an `Authorization: Basic …` header.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Finds the credential for a registry (and repository, for `registry/namespace` keys).
public protocol CredentialProvider: Sendable {
    func credential(registry: String, repository: String?) async throws -> Credential?
}

/// The same credential for every registry (`--creds`), or none.
public struct StaticCredentials: CredentialProvider {
    public let value: Credential?
    public init(_ value: Credential?) { self.value = value }
    public func credential(registry: String, repository: String?) async throws -> Credential? { value }
}

/// Tries providers in order; the first that knows the registry wins.
public struct ChainedCredentials: CredentialProvider {
    public let providers: [any CredentialProvider]
    public init(_ providers: [any CredentialProvider]) { self.providers = providers }
    public func credential(registry: String, repository: String?) async throws -> Credential? {
        for provider in providers {
            if let found = try await provider.credential(registry: registry, repository: repository) { return found }
        }
        return nil
    }
}

/// Credentials that answer for one set of registries only (`copy --src-creds`, `--dest-creds`):
/// a password given for the source is never offered to the destination, or to any other host.
public struct ScopedCredentials: CredentialProvider {
    public let registries: Set<String>
    public let inner: any CredentialProvider

    public init(registries: Set<String>, _ inner: any CredentialProvider) {
        self.registries = registries
        self.inner = inner
    }

    public func credential(registry: String, repository: String?) async throws -> Credential? {
        guard registries.contains(registry) else { return nil }
        return try await inner.credential(registry: registry, repository: repository)
    }
}
