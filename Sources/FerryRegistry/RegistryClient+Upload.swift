public import FerryCore
public import FerryHTTP
import Foundation

/// How a blob came to be in the destination repository.
public enum BlobTransfer: Sendable, Equatable {
    case alreadyPresent
    case mounted
    case uploaded
}

extension RegistryClient {
    /// HEAD `/v2/<repo>/blobs/<digest>`: does the repository already have this blob? `forPush`
    /// false asks with pull rights only (checking a registry that one may only read).
    public func blobExists(registry: String, repository: String, digest: Digest, forPush: Bool = true) async throws -> Bool {
        let response = try await send(registry: registry, repository: repository, push: forPush) { endpoint in
            HTTPRequest(method: .head, url: "\(endpoint.baseURL)/v2/\(repository)/blobs/\(digest)", tls: endpoint.tls)
        }
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw Self.unexpected(response)
        }
    }

    /// Asks the registry to link a blob it already holds in `from` into `repository` (a
    /// cross-repository mount). True when mounted; false when the registry started a normal
    /// upload instead (the session is abandoned: nothing was sent).
    public func mountBlob(registry: String, repository: String, digest: Digest, from: String) async throws -> Bool {
        let response = try await send(registry: registry, repository: repository, push: true,
                                      extraScopes: [Self.scope(repository: from, push: false)]) { endpoint in
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "mount", value: digest.description), URLQueryItem(name: "from", value: from)]
            return HTTPRequest(method: .post, url: "\(endpoint.baseURL)/v2/\(repository)/blobs/uploads/?\(components.percentEncodedQuery ?? "")",
                               body: .bytes([]), tls: endpoint.tls)
        }
        switch response.status {
        case 201: return true
        case 202: return false
        default: throw Self.unexpected(response)
        }
    }

    /// Uploads a blob: POST a session, then one streamed PUT with the whole body (or, with
    /// `chunkSize`, PATCH chunks then an empty PUT, for proxies that cap request bodies). The
    /// registry's `Docker-Content-Digest` must name the digest we sent.
    public func uploadBlob(registry: String, repository: String, descriptor: Descriptor, body: @Sendable () -> HTTPBody,
                           chunkSize: Int64? = nil) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await uploadOnce(registry: registry, repository: repository, descriptor: descriptor, body: body(), chunkSize: chunkSize)
                return
            } catch let error as RegistryError where error.isTransient && attempt < configuration.retry.maximumAttempts {
                // A broken session cannot be resumed reliably: start a new one.
                logger.info("restarting upload of \(descriptor.digest) to \(repository): \(error)")
                try await Task.sleep(nanoseconds: UInt64(configuration.retry.delay(afterAttempt: attempt, retryAfter: nil) * 1e9))
            }
        }
    }

    private func uploadOnce(registry: String, repository: String, descriptor: Descriptor, body: HTTPBody, chunkSize: Int64?) async throws {
        let started = try await send(registry: registry, repository: repository, push: true) { endpoint in
            HTTPRequest(method: .post, url: "\(endpoint.baseURL)/v2/\(repository)/blobs/uploads/", body: .bytes([]), tls: endpoint.tls)
        }
        guard started.status == 202, var location = started.headers["Location"] else { throw Self.unexpected(started) }
        if let chunkSize, descriptor.size > chunkSize, case .file(let file, let offset, _, let observer) = body {
            var sent: Int64 = 0
            while sent < descriptor.size {
                let length = min(chunkSize, descriptor.size - sent)
                let target = location
                let start = sent
                let response = try await send(registry: registry, repository: repository, push: true, retryTransient: false) { endpoint in
                    var headers = HTTPHeaders()
                    headers.set("Content-Type", "application/octet-stream")
                    headers.set("Content-Range", "\(start)-\(start + length - 1)")
                    return HTTPRequest(method: .patch, url: try self.uploadURL(target, endpoint: endpoint, digest: nil), headers: headers,
                                       body: .file(file, offset: offset + start, length: length, observer: start == 0 ? observer : observer.map(ContinuingObserver.init)),
                                       tls: endpoint.tls)
                }
                guard response.status == 202, let next = response.headers["Location"] else { throw Self.unexpected(response) }
                location = next
                sent += length
            }
            try await finishUpload(registry: registry, repository: repository, location: location, descriptor: descriptor, body: .bytes([]))
        } else {
            try await finishUpload(registry: registry, repository: repository, location: location, descriptor: descriptor, body: body)
        }
    }

    private func finishUpload(registry: String, repository: String, location: String, descriptor: Descriptor, body: HTTPBody) async throws {
        let response = try await send(registry: registry, repository: repository, push: true, retryTransient: false) { endpoint in
            var headers = HTTPHeaders()
            headers.set("Content-Type", "application/octet-stream")
            return HTTPRequest(method: .put, url: try self.uploadURL(location, endpoint: endpoint, digest: descriptor.digest),
                               headers: headers, body: body, tls: endpoint.tls)
        }
        guard response.status == 201 else { throw Self.unexpected(response) }
        if let reported = response.headers["Docker-Content-Digest"], reported != descriptor.digest.description {
            throw RegistryError.uploadDigestMismatch(repository: "\(registry)/\(repository)", expected: descriptor.digest, reported: reported)
        }
    }

    /// Resolves an upload `Location` (relative or absolute) against the registry and adds the
    /// digest. A location on another origin is refused: the destination is only ever the
    /// registry named on the command line, and credentials must not travel elsewhere.
    func uploadURL(_ location: String, endpoint: Endpoint, digest: Digest?) throws -> String {
        guard let resolved = URL(string: location, relativeTo: URL(string: endpoint.baseURL + "/"))?.absoluteString else {
            throw RegistryError.unexpectedStatus(status: 202, url: URLRedaction.redact(location), code: nil, message: "unusable upload Location")
        }
        guard HTTPClient.sameOrigin(resolved, endpoint.baseURL) else {
            throw RegistryError.unexpectedStatus(status: 202, url: URLRedaction.redact(resolved), code: nil,
                                                 message: "upload Location points at another host; refusing to send data there")
        }
        guard let digest else { return resolved }
        return resolved + (resolved.contains("?") ? "&" : "?") + "digest=\(digest)"
    }

    /// HEAD a manifest: its digest, or nil when absent. `forPush` as in `blobExists`.
    public func manifestDigest(registry: String, repository: String, reference: String, forPush: Bool = true) async throws -> Digest? {
        let accept = MediaType.manifestTypes.map(\.rawValue).joined(separator: ", ")
        let response = try await send(registry: registry, repository: repository, push: forPush) { endpoint in
            var headers = HTTPHeaders()
            headers.set("Accept", accept)
            return HTTPRequest(method: .head, url: "\(endpoint.baseURL)/v2/\(repository)/manifests/\(reference)", headers: headers, tls: endpoint.tls)
        }
        switch response.status {
        case 200:
            guard let header = response.headers["Docker-Content-Digest"] else { return nil }
            return try Digest(parsing: header)
        case 404: return nil
        default: throw Self.unexpected(response)
        }
    }

    /// PUT a manifest's exact bytes under a tag or its digest.
    public func putManifest(registry: String, repository: String, reference: String, bytes: [UInt8], mediaType: MediaType,
                            digest: Digest) async throws {
        let response = try await send(registry: registry, repository: repository, push: true) { endpoint in
            var headers = HTTPHeaders()
            headers.set("Content-Type", mediaType.rawValue)
            return HTTPRequest(method: .put, url: "\(endpoint.baseURL)/v2/\(repository)/manifests/\(reference)", headers: headers,
                               body: .bytes(bytes), tls: endpoint.tls)
        }
        guard response.status == 201 || response.status == 200 else { throw Self.unexpected(response) }
        if let reported = response.headers["Docker-Content-Digest"], reported != digest.description {
            throw RegistryError.uploadDigestMismatch(repository: "\(registry)/\(repository)", expected: digest, reported: reported)
        }
    }
}

/// Passes bytes of a later chunk to the observer of the whole blob, without rewinding it.
final class ContinuingObserver: HTTPBodyObserver {
    let inner: any HTTPBodyObserver
    init(_ inner: any HTTPBodyObserver) { self.inner = inner }
    func observe(_ buffer: UnsafeRawBufferPointer) throws { try inner.observe(buffer) }
    func rewind() {}
}
