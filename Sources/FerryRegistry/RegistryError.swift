public import FerryCore
public import FerryHTTP

/// Failures talking to a registry. Every case names the registry and repository involved and
/// carries the evidence (status, registry error code, digests); none carries a credential.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    /// The registry answered with an unexpected status; `code`/`message` from its error body.
    case unexpectedStatus(status: Int, url: String, code: String?, message: String?)
    case unauthorized(registry: String, repository: String?, detail: String)
    case manifestNotFound(repository: String, reference: String)
    case blobNotFound(repository: String, digest: Digest)
    case manifestTooLarge(repository: String, reference: String, limit: Int)
    case manifestDigestMismatch(repository: String, expected: Digest, actual: Digest)
    case missingMediaType(repository: String, reference: String)
    case badTokenResponse(realm: String, reason: String)
    case refusedRealm(realm: String, reason: String)
    /// A host the registry redirected to (a CDN, an object store) answered 401. Challenges are
    /// answered only for the registry's own origin, so its credentials never reach that host.
    case challengeFromRedirectTarget(registry: String, host: String)
    case badChallenge(String)
    case credentialHelper(name: String, reason: String)
    case authFile(path: String, reason: String)
    case certificateDirectory(path: String, reason: String)
    case badContentRange(url: String, header: String?, expectedStart: Int64)
    case uploadDigestMismatch(repository: String, expected: Digest, reported: String)
    case transport(FerryHTTPError)
    case verification(FerryCoreError, repository: String)

    public var description: String {
        switch self {
        case .unexpectedStatus(let status, let url, let code, let message):
            var text = "\(url): HTTP \(status)"
            if let code { text += " \(code)" }
            if let message, !message.isEmpty { text += ": \(message)" }
            return text
        case .unauthorized(let registry, let repository, let detail):
            return "not authorized at \(registry)\(repository.map { " for \($0)" } ?? ""): \(detail)"
        case .manifestNotFound(let repository, let reference):
            return "manifest \(reference) not found in \(repository)"
        case .blobNotFound(let repository, let digest):
            return "blob \(digest) not found in \(repository)"
        case .manifestTooLarge(let repository, let reference, let limit):
            return "manifest \(repository) \(reference) is larger than \(limit) bytes"
        case .manifestDigestMismatch(let repository, let expected, let actual):
            return "manifest of \(repository) does not match its digest: expected \(expected), got \(actual)"
        case .missingMediaType(let repository, let reference):
            return "manifest \(repository) \(reference) has no media type (neither Content-Type nor mediaType field)"
        case .badTokenResponse(let realm, let reason):
            return "token service \(realm): \(reason)"
        case .refusedRealm(let realm, let reason):
            return "refusing token realm \(realm): \(reason)"
        case .challengeFromRedirectTarget(let registry, let host):
            return "\(host), where \(registry) redirected the request, asked for credentials (HTTP 401); ferry sends the registry's credentials only to the registry itself"
        case .badChallenge(let header):
            return "cannot parse WWW-Authenticate challenge \"\(header.prefix(200))\""
        case .credentialHelper(let name, let reason):
            return "credential helper docker-credential-\(name): \(reason)"
        case .authFile(let path, let reason):
            return "auth file \(path): \(reason)"
        case .certificateDirectory(let path, let reason):
            return "certificate directory \(path): \(reason)"
        case .badContentRange(let url, let header, let expectedStart):
            return "\(url): Content-Range \"\(header ?? "(missing)")\" does not start at byte \(expectedStart)"
        case .uploadDigestMismatch(let repository, let expected, let reported):
            return "registry stored a blob in \(repository) as \(reported), expected \(expected)"
        case .transport(let error):
            return error.description
        case .verification(let error, let repository):
            return "\(repository): \(error.description)"
        }
    }

    /// The registry answered 400: it refused what was sent (a manifest whose references it
    /// does not hold, a digest that does not match).
    public var isBadRequest: Bool {
        if case .unexpectedStatus(400, _, _, _) = self { return true }
        return false
    }

    /// Worth another attempt: transport hiccups and overloaded servers.
    public var isTransient: Bool {
        switch self {
        case .transport(let error): return error.isTransient
        case .unexpectedStatus(let status, _, _, _): return RetryPolicy.retryableStatuses.contains(status)
        default: return false
        }
    }
}
