import FerryCore
import FerryServe
import Testing

/// Rule (issue 19): the pull API's paths are read the way distribution reads them, names with
/// slashes included, and everything that would write is told apart before anything is looked up.
@Suite struct DistributionRouteTests {
    static let hex = String(repeating: "ab", count: 32)
    static func digest() throws -> Digest { try Digest(parsing: "sha256:" + hex) }

    struct Case: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        let expected: @Sendable () throws -> DistributionRoute
        var testDescription: String { "\(method) \(path)" }
    }

    @Test(arguments: [
        Case(method: "GET", path: "/v2/", expected: { .base }),
        Case(method: "GET", path: "/v2", expected: { .base }),
        Case(method: "HEAD", path: "/v2/", expected: { .base }),
        Case(method: "GET", path: "/v2/_catalog", expected: { .catalog }),
        Case(method: "GET", path: "/v2/library/nginx/manifests/1.25", expected: { .manifest(name: "library/nginx", reference: .tag("1.25")) }),
        Case(method: "HEAD", path: "/v2/a/b/c/manifests/sha256:\(hex)", expected: { .manifest(name: "a/b/c", reference: .digest(try digest())) }),
        Case(method: "GET", path: "/v2/a/b/c/manifests/sha256%3A\(hex)", expected: { .manifest(name: "a/b/c", reference: .digest(try digest())) }),
        Case(method: "GET", path: "/v2/team/app/blobs/sha256:\(hex)", expected: { .blob(name: "team/app", digest: try digest()) }),
        Case(method: "GET", path: "/v2/team/app/tags/list", expected: { .tags(name: "team/app") }),
        Case(method: "GET", path: "/v2/team/app/referrers/sha256:\(hex)", expected: { .referrers(name: "team/app", digest: try digest()) }),
        // A component named like an endpoint is part of the name.
        Case(method: "GET", path: "/v2/manifests/manifests/manifests/v1", expected: { .manifest(name: "manifests/manifests", reference: .tag("v1")) }),
        Case(method: "GET", path: "/v2/a.b_c__d--e/x/manifests/latest", expected: { .manifest(name: "a.b_c__d--e/x", reference: .tag("latest")) }),
        // Writes, whatever the path.
        Case(method: "PUT", path: "/v2/team/app/manifests/1.0", expected: { .write }),
        Case(method: "DELETE", path: "/v2/team/app/blobs/sha256:\(hex)", expected: { .write }),
        Case(method: "POST", path: "/v2/team/app/blobs/uploads/", expected: { .write }),
        Case(method: "GET", path: "/v2/team/app/blobs/uploads/0b8e5f3c", expected: { .write }),
        Case(method: "PATCH", path: "/v2/", expected: { .write }),
        // Names, tags and digests that cannot exist.
        Case(method: "GET", path: "/v2/Team/app/manifests/1.0", expected: { .invalid(code: "NAME_INVALID", message: "invalid repository name Team/app") }),
        Case(method: "GET", path: "/v2/team//app/manifests/1.0", expected: { .invalid(code: "NAME_INVALID", message: "invalid repository name team//app") }),
        Case(method: "GET", path: "/v2/team/-app/tags/list", expected: { .invalid(code: "NAME_INVALID", message: "invalid repository name team/-app") }),
        Case(method: "GET", path: "/v2/team/a...b/tags/list", expected: { .invalid(code: "NAME_INVALID", message: "invalid repository name team/a...b") }),
        Case(method: "GET", path: "/v2/team/app/manifests/.hidden", expected: { .invalid(code: "MANIFEST_UNKNOWN", message: "invalid tag .hidden") }),
        Case(method: "GET", path: "/v2/team/app/blobs/sha256:../../etc/passwd", expected: { .unknown }),
        Case(method: "GET", path: "/v2/team/app/blobs/md5:abc", expected: { .invalid(code: "DIGEST_INVALID", message: "invalid digest md5:abc") }),
        Case(method: "GET", path: "/v2/team/app/manifests/sha256:short", expected: { .invalid(code: "DIGEST_INVALID", message: "invalid digest sha256:short") }),
        // Not the API.
        Case(method: "GET", path: "/", expected: { .unknown }),
        Case(method: "GET", path: "/v2x/", expected: { .unknown }),
        Case(method: "GET", path: "/v2/team/app", expected: { .unknown }),
        Case(method: "GET", path: "/v2/team/app/other/thing", expected: { .unknown }),
    ])
    func reads(_ test: Case) throws {
        #expect(DistributionRoute(method: test.method, path: test.path) == (try test.expected()))
    }
}
