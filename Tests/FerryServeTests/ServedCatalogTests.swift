import FerryCore
import FerryFormat
import FerryServe
import Foundation
import Testing

/// Rule (issue 19): a served bundle answers under the names its images came from, `?ns=`
/// choosing the registry, and pages tags and repositories as distribution does.
@Suite struct ServedCatalogTests {
    static func digest(_ fill: Character) -> String { "sha256:" + String(repeating: fill, count: 64) }

    /// A content index with `images` (name, manifest digest fill) and one manifest blob each.
    static func bundle(_ images: [(String, Character)], attachments: [(String, Character, Character)] = []) throws -> ContentIndex {
        let rows = images.map { name, fill in
            #"{"source":"\#(name)","name":"\#(name)","digest":"\#(digest(fill))","mediaType":"application/vnd.oci.image.manifest.v1+json","size":10,"platforms":[]}"#
        }
        let attached = attachments.map { name, fill, subject in
            #"{"name":"\#(name)","digest":"\#(digest(fill))","mediaType":"application/vnd.oci.image.manifest.v1+json","size":10,"subject":"\#(digest(subject))"}"#
        }
        var fills = Set(images.map(\.1) + attachments.map(\.1))
        fills.insert("f")
        let blobs = fills.sorted().enumerated().map { position, fill in
            let type = fill == "f" ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.manifest.v1+json"
            return #"{"digest":"\#(digest(fill))","size":10,"mediaType":"\#(type)","offset":\#(512 * (position + 1))}"#
        }
        let text = #"{"schemaVersion":1,"mediaType":"application/vnd.ferry.bundle.index.v1+json","tool":{"name":"ferry","version":"0"},"created":"2026-12-07T00:00:00Z","images":[\#(rows.joined(separator: ","))],"blobs":[\#(blobs.joined(separator: ","))]\#(attached.isEmpty ? "" : #","attachments":["# + attached.joined(separator: ",") + "]")}"#
        return try ContentIndex.decode(Array(text.utf8))
    }

    @Test func namesResolveByPathNamespaceOrRegistryComponent() throws {
        let catalog = try ServedCatalog(bundles: [
            try Self.bundle([("docker.io/library/nginx:1.25", "a"), ("quay.io/team/app:1", "b"), ("ghcr.io/team/app:1", "c"),
                             ("127.0.0.1:5000/only/here:v1", "d")]),
        ])
        #expect(catalog.repository("library/nginx", namespace: nil) == .found(.init(registry: "docker.io", path: "library/nginx")))
        #expect(catalog.repository("library/nginx", namespace: "registry-1.docker.io") == .found(.init(registry: "docker.io", path: "library/nginx")))
        #expect(catalog.repository("library/nginx", namespace: "quay.io") == .unknown)
        #expect(catalog.repository("team/app", namespace: nil) == .ambiguous(registries: ["ghcr.io", "quay.io"]))
        #expect(catalog.repository("team/app", namespace: "quay.io") == .found(.init(registry: "quay.io", path: "team/app")))
        #expect(catalog.repository("ghcr.io/team/app", namespace: nil) == .found(.init(registry: "ghcr.io", path: "team/app")))
        #expect(catalog.repository("only/here", namespace: nil) == .found(.init(registry: "127.0.0.1:5000", path: "only/here")))
        #expect(catalog.repository("nothing/here", namespace: nil) == .unknown)
    }

    /// Rule: with a renaming (what `--prefix/--flatten/--map` build, as import names images),
    /// repositories are found under the new names only, and `?ns=` picks nothing.
    @Test func renamedRepositoriesAreServedUnderTheirNewNames() throws {
        let renaming: ServedCatalog.Renaming = { reference in
            let kept = reference.repository.split(separator: "/").dropFirst().joined(separator: "/")
            return try ImageReference(parsing: "ferry.serve/mirror/\(kept):\(reference.tag ?? "latest")")
        }
        let catalog = try ServedCatalog(bundles: [try Self.bundle([("docker.io/library/nginx:1.25", "a"), ("quay.io/team/app:1", "b")])],
                                        renaming: renaming)
        let nginx = ServedCatalog.RepositoryKey(registry: "ferry.serve", path: "mirror/nginx")
        #expect(catalog.repository("mirror/nginx", namespace: nil) == .found(nginx))
        #expect(catalog.repository("mirror/nginx", namespace: "docker.io") == .found(nginx))
        #expect(catalog.repository("library/nginx", namespace: nil) == .unknown)
        #expect(catalog.repository("docker.io/library/nginx", namespace: nil) == .unknown)
        #expect(catalog.manifest(.tag("1.25"), in: nginx)?.0 == (try Digest(parsing: Self.digest("a"))))
        #expect(catalog.catalog(count: nil, after: nil).repositories == ["mirror/app", "mirror/nginx"])
    }

    @Test func manifestsByTagAndByDigest() throws {
        let catalog = try ServedCatalog(bundles: [try Self.bundle([("quay.io/team/app:1", "b")], attachments: [("quay.io/team/app:sha256-bbbb.sig", "e", "b")])])
        let app = ServedCatalog.RepositoryKey(registry: "quay.io", path: "team/app")
        #expect(catalog.manifest(.tag("1"), in: app)?.0 == (try Digest(parsing: Self.digest("b"))))
        #expect(catalog.manifest(.tag("sha256-bbbb.sig"), in: app)?.0 == (try Digest(parsing: Self.digest("e"))))
        #expect(catalog.manifest(.tag("2"), in: app) == nil)
        #expect(catalog.manifest(.digest(try Digest(parsing: Self.digest("b"))), in: app)?.1.offset != nil)
        // A layer is a blob, not a manifest.
        #expect(catalog.manifest(.digest(try Digest(parsing: Self.digest("f"))), in: app) == nil)
        #expect(catalog.blob(try Digest(parsing: Self.digest("f")))?.mediaType == .ociLayerGzip)
        #expect(catalog.tags(of: app, count: nil, after: nil).tags == ["1", "sha256-bbbb.sig"])
    }

    @Test func anEarlierBundleWinsATagAndTheConflictIsNamed() throws {
        let catalog = try ServedCatalog(bundles: [try Self.bundle([("quay.io/team/app:1", "b")]), try Self.bundle([("quay.io/team/app:1", "c")])])
        let app = ServedCatalog.RepositoryKey(registry: "quay.io", path: "team/app")
        #expect(catalog.manifest(.tag("1"), in: app)?.0 == (try Digest(parsing: Self.digest("b"))))
        #expect(catalog.conflicts == ["quay.io/team/app:1"])
    }

    @Test func aNameThatPinsNoManifestIsRefused() throws {
        var index = try Self.bundle([("quay.io/team/app:1", "b")])
        index.images[0].digest = try Digest(parsing: Self.digest("f"))
        #expect(throws: FerryServeError.self) { try ServedCatalog(bundles: [index]) }
    }

    struct PageCase: Sendable {
        let count: Int?
        let last: String?
        let page: [String]
        let more: Bool
    }

    @Test(arguments: [
        PageCase(count: nil, last: nil, page: ["a", "b", "c", "d"], more: false),
        PageCase(count: 2, last: nil, page: ["a", "b"], more: true),
        PageCase(count: 2, last: "b", page: ["c", "d"], more: false),
        PageCase(count: 2, last: "bb", page: ["c", "d"], more: false),   // `last` need not be a name
        PageCase(count: 10, last: "d", page: [], more: false),
        PageCase(count: 0, last: nil, page: [], more: true),
    ])
    func pagesLikeDistribution(_ test: PageCase) throws {
        let catalog = try ServedCatalog(bundles: [try Self.bundle([("r.io/a:1", "a"), ("r.io/b:1", "b"), ("r.io/c:1", "c"), ("r.io/d:1", "d")])])
        let result = catalog.catalog(count: test.count, after: test.last)
        #expect(result.repositories == test.page)
        #expect(result.more == test.more)
    }
}
