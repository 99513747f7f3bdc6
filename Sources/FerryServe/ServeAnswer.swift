public import FerryCore

/// What `ferry serve` answers to one request, worked out from the request and the catalog
/// alone: status, headers and which bytes. The HTTP server only carries it out, so every
/// answer the distribution spec asks for is decided (and tested) here, without a socket.
public struct ServeAnswer: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    /// The body: none (HEAD, 405…), small bytes made here, or a stretch of a bundle file: `count`
    /// bytes from `offset` of bundle number `bundle`, all inside blob `digest` (which the server
    /// proves intact before it sends any of them).
    public enum Body: Sendable, Equatable {
        case none
        case bytes([UInt8])
        case blob(digest: Digest, bundle: Int, offset: Int64, count: Int64)
    }

    public var status: Int
    public var headers: [Header]
    public var body: Body

    /// The request, as far as an answer depends on it.
    public struct Request: Sendable {
        public let method: String
        public let path: String
        /// Query parameters (`n`, `last`, `ns`); the first of a repeated one.
        public let query: [String: String]
        /// The `Range` header's value.
        public let range: String?

        public init(method: String, path: String, query: [String: String] = [:], range: String? = nil) {
            self.method = method
            self.path = path
            self.query = query
            self.range = range
        }
    }

    /// The answer to `request` from `catalog`. Throws only when a JSON body cannot be encoded
    /// (the server answers 500).
    public static func answer(_ request: Request, catalog: ServedCatalog) throws -> ServeAnswer {
        do {
            return try route(request, catalog: catalog)
        } catch let refusal as Refusal {
            return try error(404, "NAME_UNKNOWN", refusal.message)
        }
    }

    private static func route(_ request: Request, catalog: ServedCatalog) throws -> ServeAnswer {
        let head = request.method == "HEAD"
        let namespace = request.query["ns"]
        switch DistributionRoute(method: request.method, path: request.path) {
        case .base:
            return json(200, Array("{}".utf8), head: head)
        case .catalog:
            let page = catalog.catalog(count: count(request), after: request.query["last"])
            var answer = try json(200, CanonicalJSON.encode(["repositories": page.repositories]), head: head)
            if page.more, let last = page.repositories.last {
                answer.headers.append(next("/v2/_catalog", count: count(request), last: last, namespace: nil))
            }
            return answer
        case .manifest(let name, let reference):
            let repository = try lookup(name, namespace: namespace, catalog: catalog)
            guard let (digest, place) = catalog.manifest(reference, in: repository) else {
                return try error(404, "MANIFEST_UNKNOWN", "manifest unknown: \(name) has no \(describe(reference))")
            }
            return content(digest: digest, place: place, type: place.mediaType.rawValue, range: .whole, head: head)
        case .blob(let name, let digest):
            _ = try lookup(name, namespace: namespace, catalog: catalog)
            guard let place = catalog.blob(digest) else {
                return try error(404, "BLOB_UNKNOWN", "blob unknown: \(digest)")
            }
            let range = ByteRange(header: request.range, length: place.size)
            if range == .unsatisfiable {
                var answer = try error(416, "BLOB_UNKNOWN", "range \(request.range ?? "") is outside the \(place.size) bytes of \(digest)")
                answer.headers.append(Header(name: "Content-Range", value: range.contentRange(length: place.size) ?? ""))
                return answer
            }
            return content(digest: digest, place: place, type: "application/octet-stream", range: range, head: head)
        case .tags(let name):
            let repository = try lookup(name, namespace: namespace, catalog: catalog)
            let page = catalog.tags(of: repository, count: count(request), after: request.query["last"])
            var answer = try json(200, encodeTags(name: name, tags: page.tags), head: head)
            if page.more, let last = page.tags.last {
                answer.headers.append(next("/v2/\(name)/tags/list", count: count(request), last: last, namespace: namespace))
            }
            return answer
        case .referrers(let name, let digest):
            // distribution-spec v1.1 "Listing Referrers": always 200 with an index (empty when
            // nothing refers to the digest); `artifactType` filters, and says it did.
            let repository = try lookup(name, namespace: namespace, catalog: catalog)
            let artifactType = request.query["artifactType"]
            let index = ImageIndex(schemaVersion: 2, mediaType: .ociIndex,
                                   manifests: catalog.referrers(of: digest, in: repository, artifactType: artifactType))
            var answer = try json(200, CanonicalJSON.encode(index), head: head, type: MediaType.ociIndex.rawValue)
            if artifactType != nil { answer.headers.append(Header(name: "OCI-Filters-Applied", value: "artifactType")) }
            return answer
        case .write:
            var answer = try error(405, "UNSUPPORTED", "ferry serve is read-only: a served bundle never changes")
            answer.headers.append(Header(name: "Allow", value: "GET, HEAD"))
            return answer
        case .invalid(let code, let message):
            return try error(code == "MANIFEST_UNKNOWN" ? 404 : 400, code, message)
        case .unknown:
            return try error(404, "UNSUPPORTED", "not a path of the distribution API")
        }
    }

    // MARK: - Pieces

    /// A repository that is not there: `answer` turns it into 404 NAME_UNKNOWN.
    private struct Refusal: Error {
        let message: String
    }

    private static func lookup(_ name: String, namespace: String?, catalog: ServedCatalog) throws(Refusal) -> ServedCatalog.RepositoryKey {
        switch catalog.repository(name, namespace: namespace) {
        case .found(let key):
            return key
        case .unknown:
            throw Refusal(message: "repository \(name) is not in the served bundles\(namespace.map { " (ns=\($0))" } ?? "")")
        case .ambiguous(let registries):
            throw Refusal(message: "repository \(name) is in the served bundles from several registries (\(registries.joined(separator: ", "))): add ?ns=<registry>, or name the registry first (\(registries[0])/\(name))")
        }
    }

    private static func content(digest: Digest, place: ServedCatalog.Place, type: String, range: ByteRange, head: Bool) -> ServeAnswer {
        var headers = [Header(name: "Content-Type", value: type), Header(name: "Docker-Content-Digest", value: digest.description),
                       Header(name: "Accept-Ranges", value: "bytes")]
        var (status, offset, count) = (200, place.offset, place.size)
        if case .part(let lower, let upper) = range {
            (status, offset, count) = (206, place.offset + lower, upper - lower + 1)
            headers.append(Header(name: "Content-Range", value: range.contentRange(length: place.size) ?? ""))
        }
        headers.append(Header(name: "Content-Length", value: "\(count)"))
        return ServeAnswer(status: status, headers: headers, body: head ? .none : .blob(digest: digest, bundle: place.bundle, offset: offset, count: count))
    }

    private static func json(_ status: Int, _ bytes: [UInt8], head: Bool, type: String = "application/json") -> ServeAnswer {
        ServeAnswer(status: status,
                    headers: [Header(name: "Content-Type", value: type),
                              Header(name: "Docker-Distribution-API-Version", value: "registry/2.0"),
                              Header(name: "Content-Length", value: "\(bytes.count)")],
                    body: head ? .none : .bytes(bytes))
    }

    /// An OCI error body (distribution-spec, "Error Codes").
    public static func error(_ status: Int, _ code: String, _ message: String) throws -> ServeAnswer {
        struct Body: Encodable {
            struct Entry: Encodable {
                let code: String
                let message: String
            }
            let errors: [Entry]
        }
        return json(status, try CanonicalJSON.encode(Body(errors: [.init(code: code, message: message)])), head: false)
    }

    /// `error`, for the server's own answers, which must not fail: without a body in the one
    /// case its JSON cannot be made (a message of plain strings never reaches it).
    public static func failure(_ status: Int, _ code: String, _ message: String) -> ServeAnswer {
        do {
            return try error(status, code, message)
        } catch {
            return ServeAnswer(status: status, headers: [], body: .none)
        }
    }

    private static func encodeTags(name: String, tags: [String]) throws -> [UInt8] {
        struct List: Encodable {
            let name: String
            let tags: [String]
        }
        return try CanonicalJSON.encode(List(name: name, tags: tags))
    }

    private static func count(_ request: Request) -> Int? {
        request.query["n"].flatMap { Int($0) }.map { max($0, 0) }
    }

    private static func next(_ path: String, count: Int?, last: String, namespace: String?) -> Header {
        var query = "last=\(last)"
        if let count { query = "n=\(count)&" + query }
        if let namespace { query += "&ns=\(namespace)" }
        return Header(name: "Link", value: "<\(path)?\(query)>; rel=\"next\"")
    }

    private static func describe(_ reference: DistributionRoute.ManifestReference) -> String {
        switch reference {
        case .tag(let tag): return "tag \(tag)"
        case .digest(let digest): return "manifest \(digest)"
        }
    }
}
