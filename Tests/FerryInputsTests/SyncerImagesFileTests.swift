import FerryCore
import FerryInputs
import Testing

/// Rules (formats/sync-files/SPEC.md, images.json): source without tag = all tags, `:a,b` =
/// those tags, `:/re/` = tags the regex finds a match in, `@digest` = that image; destination
/// `""` = defaults, without tag = same tag, with tags = renamed left to right, a list = each.
@Suite struct SyncerImagesFileTests {
    static let etcdDigest = "sha256:c38cbd92fce41312f3fbdce60510013b7f0d4004a03b45c8e762f98f1ed4006c"

    @Test(arguments: ["images.json", "images.yaml"])
    func examplesDecode(_ name: String) throws {
        let file = try SyncerImagesFile(text: try InputsFixtures.text("image-syncer/\(name)"), source: name)
        #expect(file.rules.count == 9)
        let harbor = "harbor.dc2.local:8080"
        #expect(file.rules[0].source.description == "quay.io/coreos/kube-rbac-proxy")
        #expect(file.rules[0].selection == .allTags)
        #expect(file.rules[2].selection == .tags(["v3.5.12", "v3.5.13"]))
        #expect(file.rules[3].selection == .digest(try Digest(parsing: Self.etcdDigest)))
        #expect(file.rules[4].destinations.map(\.description) == ["\(harbor)/k8s/pause", "\(harbor)/k8s-backup/pause"])
        #expect(file.rules[5].selection.description == "tags matching /^v1\\.11\\./")
        #expect(file.rules[6].source.description == "docker.io/library/nginx")
        #expect(file.rules[6].destinations == [.repository(RepositoryName(registry: harbor, repository: "web/nginx"), tags: ["stable", "oldstable"])])
        #expect(file.rules[8].destinations == [.defaultLocation])
    }

    @Test func jsonAndYAMLFormsAgree() throws {
        let json = try SyncerImagesFile(text: try InputsFixtures.text("image-syncer/images.json"), source: "x")
        let yaml = try SyncerImagesFile(text: try InputsFixtures.text("image-syncer/images.yaml"), source: "x")
        #expect(json.rules == yaml.rules)
    }

    /// The examples resolved against a table of tags and default destination mirror.local:5000/team.
    @Test func examplesResolve() async throws {
        let file = try SyncerImagesFile(text: try InputsFixtures.text("image-syncer/images.yaml"), source: "images.yaml")
        let lister = TableTagLister([
            "quay.io/coreos/kube-rbac-proxy": ["v0.15.0", "v0.16.0", "latest"],
            "registry.k8s.io/coredns/coredns": ["v1.10.1", "v1.11.0", "v1.11.1", "v1.12.0", "1.11.1"],
        ])
        let resolver = RuleResolver(lister: lister, defaults: DestinationDefaults(registry: "mirror.local:5000", namespace: "/team/"))
        let selections = try await resolver.resolve(file.rules, source: "images.yaml", requireDestinations: true)
        let h = "harbor.dc2.local:8080"
        let expected = [
            "quay.io/coreos/kube-rbac-proxy:latest → \(h)/coreos/kube-rbac-proxy:latest",
            "quay.io/coreos/kube-rbac-proxy:v0.15.0 → \(h)/coreos/kube-rbac-proxy:v0.15.0",
            "quay.io/coreos/kube-rbac-proxy:v0.16.0 → \(h)/coreos/kube-rbac-proxy:v0.16.0",
            "quay.io/coreos/etcd:v3.5.13 → \(h)/coreos/etcd:v3.5.13",
            "quay.io/coreos/etcd:v3.5.12 → \(h)/coreos/etcd:v3.5.12",
            "quay.io/coreos/etcd:v3.5.13 → \(h)/coreos/etcd:v3.5.13",
            "quay.io/coreos/etcd@\(Self.etcdDigest) → \(h)/coreos/etcd@\(Self.etcdDigest)",
            "registry.k8s.io/pause:3.9 → \(h)/k8s/pause:3.9, \(h)/k8s-backup/pause:3.9",
            "registry.k8s.io/coredns/coredns:v1.11.0 → \(h)/k8s/coredns:v1.11.0",
            "registry.k8s.io/coredns/coredns:v1.11.1 → \(h)/k8s/coredns:v1.11.1",
            "docker.io/library/nginx:1.27 → \(h)/web/nginx:stable",
            "docker.io/library/nginx:1.26 → \(h)/web/nginx:oldstable",
            "docker.io/library/redis:7.2 → \(h)/cache/redis:7",
            "ghcr.io/example/app:1.4.2 → mirror.local:5000/team/app:1.4.2",
        ]
        #expect(selections.flatMap(\.mappings).map(\.description) == expected)
        #expect(selections[0].listedTags == ["latest", "v0.15.0", "v0.16.0"])   // name order, whatever the registry's
        #expect(selections[1].listedTags == nil)   // explicit tags need no listing
        #expect(lister.listings("quay.io/coreos/kube-rbac-proxy") == 1)
    }

    /// A repository's tags are listed once even when several rules need them.
    @Test func tagListIsFetchedOncePerRepository() async throws {
        let file = try SyncerImagesFile(text: """
            {"reg.io/a/b": "", "reg.io/a/b:/^1/": "", "reg.io/a/b:/^2/": ""}
            """, source: "x")
        let lister = TableTagLister(["reg.io/a/b": ["1.0", "2.0", "10"]])
        let selections = try await RuleResolver(lister: lister).resolve(file.rules, source: "x")
        #expect(selections.map { $0.mappings.map { $0.source.tag ?? "" } } == [["1.0", "10", "2.0"], ["1.0", "10"], ["2.0"]])
        #expect(selections.allSatisfy { $0.mappings.allSatisfy(\.destinations.isEmpty) })  // no defaults: sources only
        #expect(lister.listings("reg.io/a/b") == 1)
    }

    @Test func defaultDestinationWithoutDefaultsIsAnErrorWhenRequired() async throws {
        let file = try SyncerImagesFile(text: "{\"reg.io/a/b:1\": \"\"}", source: "images.json")
        await #expect(throws: FerryInputsError.self) {
            _ = try await RuleResolver(lister: TableTagLister([:])).resolve(file.rules, source: "images.json", requireDestinations: true)
        }
    }

    @Test func tagListingFailureNamesTheRepository() async throws {
        let file = try SyncerImagesFile(text: "{\"reg.io/missing\": \"\"}", source: "images.json")
        do {
            _ = try await RuleResolver(lister: TableTagLister([:])).resolve(file.rules, source: "images.json")
            Issue.record("expected a listing error")
        } catch let error as FerryInputsError {
            #expect(error.description.contains("reg.io/missing") && error.description.contains("no such repository"))
        }
    }

    /// (source as written, repository, selection description)
    @Test(arguments: [
        ("a.io/x/y", "a.io/x/y", "all tags"),
        ("a.io/x/y:1", "a.io/x/y", "tags 1"),
        ("localhost:5000/x:1,2", "localhost:5000/x", "tags 1, 2"),
        ("localhost:5000/x", "localhost:5000/x", "all tags"),
        ("a.io/x:/^v[0-9]+$/", "a.io/x", "tags matching /^v[0-9]+$/"),
        ("a.io/x:/a/b/", "a.io/x", "tags matching /a/b/"),
        ("busybox", "docker.io/library/busybox", "all tags"),
        ("a.io/x@\(etcdDigest)", "a.io/x", "digest \(etcdDigest)"),
    ])
    func sourcesParse(_ text: String, _ repository: String, _ selection: String) throws {
        let file = try SyncerImagesFile(text: "{\"\(text.replacingOccurrences(of: "\\", with: "\\\\"))\": \"\"}", source: "x")
        #expect(file.rules.first?.source.description == repository)
        #expect(file.rules.first?.selection.description == selection)
    }

    /// (file, words the error must contain)
    @Test(arguments: [
        ("{\"\": \"b.io/y\"}", "empty"),
        ("{\"a.io/x:/abc\": \"\"}", "must end with /"),
        ("{\"a.io/x:/[/\": \"\"}", "does not compile"),
        ("{\"a.io/X\": \"\"}", "a.io/X"),
        ("{\"a.io/x:1,,2\": \"\"}", "tag"),
        ("{\"a.io/x@sha256:12\": \"\"}", "digest"),
        ("{\"a.io/x\": \"b.io/y:t\"}", "must not name tags"),
        ("{\"a.io/x:/re/\": \"b.io/y:t\"}", "must not name tags"),
        ("{\"a.io/x:1,2\": \"b.io/y:t\"}", "1 tags for 2"),
        ("{\"a.io/x:1\": \"b.io/y@\(etcdDigest)\"}", "needs a digest source"),
        ("{\"a.io/x@\(etcdDigest)\": \"b.io/y@sha256:\(String(repeating: "0", count: 64))\"}", "differs"),
        ("{\"a.io/x:1\": \"b.io/y:/re/\"}", "regex"),
        ("{\"a.io/x:1\": {\"k\": \"v\"}}", "not a mapping"),
        ("{\"a.io/x:1\": []}", "no destination"),
        ("[\"a.io/x:1\"]", "mapping"),
        // Issue 15, item 10: a destination that JSON or YAML reads as a number or boolean.
        ("{\"a.io/x:1\": 5}", "a.io/x:1: the destination 5 is a number"),
        ("{\"a.io/x:1\": true}", "the destination true is a boolean"),
        ("a.io/x:1: 127.0\n", "the destination 127.0 is a number"),
        ("a.io/x:1: [b.io/y, yes]\n", "the destination yes is a boolean"),
    ])
    func badRulesAreRefused(_ text: String, _ mention: String) {
        do {
            let file = try SyncerImagesFile(text: text, source: "images.json")
            Issue.record("expected an error, got \(file.rules)")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
            #expect(error.description.hasPrefix("images.json"), "\(error)")
        }
    }

    /// Quoted, the same words are names.
    @Test func quotedNumbersAreNames() throws {
        let file = try SyncerImagesFile(text: "a.io/x:1: \"5\"\na.io/y:1: 'true'\n", source: "images.yaml")
        #expect(file.rules.count == 2)
    }

    @Test func renderIsAnImagesFileSendingEverythingToTheDefault() throws {
        let references = try ["nginx", "quay.io/a/b:1", "nginx:latest"].map { try ImageReference(parsing: $0) }
        let text = SyncerImagesFile.render(references)
        #expect(text == "{\n  \"docker.io/library/nginx:latest\": \"\",\n  \"quay.io/a/b:1\": \"\"\n}\n")
        let reread = try SyncerImagesFile(text: text, source: "x")
        #expect(reread.rules.map(\.selection) == [.tags(["latest"]), .tags(["1"])])
        #expect(reread.rules.allSatisfy { $0.destinations == [.defaultLocation] })
        #expect(SyncerImagesFile.render([]) == "{}\n")
    }
}
