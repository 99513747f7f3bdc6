import FerryCore
import FerryServe
import Foundation
import Testing

/// Rule (issue 19): every answer of the pull API is decided before a socket is involved: the
/// right status, the headers clients check (digest, length, range) and exactly the bundle
/// bytes of the blob, or an OCI error body.
@Suite struct ServeAnswerTests {
    static func catalog() throws -> ServedCatalog {
        try ServedCatalog(bundles: [
            try ServedCatalogTests.bundle([("quay.io/team/app:1", "b"), ("quay.io/team/app:2", "c"), ("ghcr.io/team/app:1", "d"),
                                           ("docker.io/library/nginx:1.25", "a")]),
        ])
    }

    static func header(_ answer: ServeAnswer, _ name: String) -> String? {
        answer.headers.first { $0.name == name }?.value
    }

    static func errorCode(_ answer: ServeAnswer) throws -> String? {
        guard case .bytes(let bytes) = answer.body,
              let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: [[String: String]]] else { return nil }
        return object["errors"]?.first?["code"]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        var query: [String: String] = [:]
        var range: String? = nil
        let status: Int
        var code: String? = nil
        var testDescription: String { "\(method) \(path) \(query) \(range ?? "")" }
    }

    static let hexA = String(repeating: "a", count: 64), hexF = String(repeating: "f", count: 64)

    @Test(arguments: [
        Case(method: "GET", path: "/v2/", status: 200),
        Case(method: "GET", path: "/v2/library/nginx/manifests/1.25", status: 200),
        Case(method: "HEAD", path: "/v2/library/nginx/manifests/sha256:\(hexA)", status: 200),
        Case(method: "GET", path: "/v2/library/nginx/manifests/9.9", status: 404, code: "MANIFEST_UNKNOWN"),
        Case(method: "GET", path: "/v2/team/app/manifests/1", status: 404, code: "NAME_UNKNOWN"),          // two registries
        Case(method: "GET", path: "/v2/team/app/manifests/1", query: ["ns": "quay.io"], status: 200),
        Case(method: "GET", path: "/v2/quay.io/team/app/manifests/2", status: 200),
        Case(method: "GET", path: "/v2/no/such/manifests/1", status: 404, code: "NAME_UNKNOWN"),
        Case(method: "GET", path: "/v2/library/nginx/blobs/sha256:\(hexF)", status: 200),
        Case(method: "GET", path: "/v2/library/nginx/blobs/sha256:\(hexF)", range: "bytes=4-", status: 206),
        Case(method: "GET", path: "/v2/library/nginx/blobs/sha256:\(hexF)", range: "bytes=10-", status: 416, code: "BLOB_UNKNOWN"),
        Case(method: "GET", path: "/v2/library/nginx/blobs/sha256:\(String(repeating: "9", count: 64))", status: 404, code: "BLOB_UNKNOWN"),
        Case(method: "PUT", path: "/v2/library/nginx/manifests/1.25", status: 405, code: "UNSUPPORTED"),
        Case(method: "POST", path: "/v2/library/nginx/blobs/uploads/", status: 405, code: "UNSUPPORTED"),
        Case(method: "GET", path: "/v2/Library/nginx/tags/list", status: 400, code: "NAME_INVALID"),
        Case(method: "GET", path: "/v2/library/nginx/referrers/sha256:\(hexA)", status: 200),
        Case(method: "GET", path: "/v2/no/such/referrers/sha256:\(hexA)", status: 404, code: "NAME_UNKNOWN"),
        Case(method: "GET", path: "/metrics", status: 404, code: "UNSUPPORTED"),
    ])
    func statusAndCode(_ test: Case) throws {
        let answer = try ServeAnswer.answer(.init(method: test.method, path: test.path, query: test.query, range: test.range),
                                            catalog: try Self.catalog())
        #expect(answer.status == test.status)
        if let code = test.code { #expect(try Self.errorCode(answer) == code) }
    }

    @Test func aManifestCarriesItsTypeDigestAndTheBundleBytes() throws {
        let catalog = try Self.catalog()
        let get = try ServeAnswer.answer(.init(method: "GET", path: "/v2/library/nginx/manifests/1.25"), catalog: catalog)
        let digest = try Digest(parsing: "sha256:" + Self.hexA)
        let place = try #require(catalog.blob(digest))
        #expect(Self.header(get, "Content-Type") == "application/vnd.oci.image.manifest.v1+json")
        #expect(Self.header(get, "Docker-Content-Digest") == digest.description)
        #expect(Self.header(get, "Content-Length") == "\(place.size)")
        #expect(get.body == .blob(digest: digest, bundle: 0, offset: place.offset, count: place.size))
        let head = try ServeAnswer.answer(.init(method: "HEAD", path: "/v2/library/nginx/manifests/1.25"), catalog: catalog)
        #expect(head.body == .none)
        #expect(Self.header(head, "Content-Length") == "\(place.size)")
    }

    @Test func aRangeSendsExactlyThoseBytes() throws {
        let catalog = try Self.catalog()
        let digest = try Digest(parsing: "sha256:" + Self.hexF)
        let place = try #require(catalog.blob(digest))
        let answer = try ServeAnswer.answer(.init(method: "GET", path: "/v2/library/nginx/blobs/\(digest)", range: "bytes=-3"), catalog: catalog)
        #expect(answer.status == 206)
        #expect(answer.body == .blob(digest: digest, bundle: 0, offset: place.offset + place.size - 3, count: 3))
        #expect(Self.header(answer, "Content-Range") == "bytes \(place.size - 3)-\(place.size - 1)/\(place.size)")
        #expect(Self.header(answer, "Content-Length") == "3")
        let refused = try ServeAnswer.answer(.init(method: "GET", path: "/v2/library/nginx/blobs/\(digest)", range: "bytes=99-"), catalog: catalog)
        #expect(Self.header(refused, "Content-Range") == "bytes */\(place.size)")
    }

    @Test func tagsArePagedWithALinkToTheNextPage() throws {
        let catalog = try Self.catalog()
        let first = try ServeAnswer.answer(.init(method: "GET", path: "/v2/team/app/tags/list", query: ["ns": "quay.io", "n": "1"]), catalog: catalog)
        guard case .bytes(let bytes) = first.body else { Issue.record("no body"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"name":"team/app","tags":["1"]}"#)
        #expect(Self.header(first, "Link") == #"</v2/team/app/tags/list?n=1&last=1&ns=quay.io>; rel="next""#)
        let second = try ServeAnswer.answer(.init(method: "GET", path: "/v2/team/app/tags/list", query: ["ns": "quay.io", "n": "1", "last": "1"]), catalog: catalog)
        guard case .bytes(let rest) = second.body else { Issue.record("no body"); return }
        #expect(String(decoding: rest, as: UTF8.self) == #"{"name":"team/app","tags":["2"]}"#)
        #expect(Self.header(second, "Link") == nil)
    }
}
