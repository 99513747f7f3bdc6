import FerryCore
import FerryInputs
import FerryRegistry
import Testing

/// Rules (formats/sync-files/SPEC.md, "skopeo sync YAML"): per registry `images` (tags or
/// digests, `[]` = all tags), `images-by-tag-regex`, `images-by-semver`, `credentials`,
/// `tls-verify`, `cert-dir`; unknown keys are refused.
@Suite struct SkopeoSyncFileTests {
    @Test func exampleDecodes() async throws {
        let file = try SkopeoSyncFile(text: try InputsFixtures.text("skopeo/sync.yaml"), source: "sync.yaml")
        #expect(file.registries.map(\.host) == ["registry.example.com", "quay.io"])
        #expect(file.rules.map(\.text) == [
            "registry.example.com/busybox (all tags)",
            "registry.example.com/redis@sha256:487a0a9a39038de9767bdcbc6f81bf46cd7dcedb81be97d41dd6079d35bd922e",
            "registry.example.com/redis:7.2.5,7.0.15",
            "registry.example.com/nginx /^1\\.2[67]\\.[0-9]+-alpine$/",
            "registry.example.com/alpine \">= 3.19.0, < 4.0.0\"",
            "registry.example.com/team/api \"~1.4 || ^2.1.0\"",
            "quay.io/coreos/etcd:v3.5.13",
        ])
        #expect(file.rules.allSatisfy { $0.destinations == [.defaultLocation] })
        #expect(file.insecureRegistries == ["quay.io"])
        #expect(file.registries[0].certDirectory == "/etc/ferry/certs/registry.example.com")
        #expect(file.registries[0].tlsVerify == true)
        let credential = try await file.credentials.credential(registry: "registry.example.com", repository: "redis")
        #expect(credential == Credential(username: "john", password: "this is a secret"))
        #expect(try await file.credentials.credential(registry: "quay.io", repository: "coreos/etcd") == nil)
    }

    @Test func exampleResolves() async throws {
        let file = try SkopeoSyncFile(text: try InputsFixtures.text("skopeo/sync.yaml"), source: "sync.yaml")
        let lister = TableTagLister([
            "registry.example.com/busybox": ["1.36", "latest"],
            "registry.example.com/nginx": ["1.26.1-alpine", "1.27.0-alpine", "1.27.0", "1.25.4-alpine", "1.27.0-alpine-perl"],
            "registry.example.com/alpine": ["3.18.6", "3.19.0", "3.20.1", "4.0.0", "edge", "3.20.0-rc1"],
            "registry.example.com/team/api": ["1.3.9", "1.4.0", "1.4.7", "1.5.0", "2.0.5", "2.1.0", "2.9.1", "3.0.0"],
        ])
        let selections = try await RuleResolver(lister: lister).resolve(file.rules, source: "sync.yaml")
        #expect(selections.map { $0.mappings.map { $0.source.tag ?? $0.source.digest?.hex ?? "" } } == [
            ["1.36", "latest"],
            ["487a0a9a39038de9767bdcbc6f81bf46cd7dcedb81be97d41dd6079d35bd922e"],
            ["7.2.5", "7.0.15"],
            ["1.26.1-alpine", "1.27.0-alpine"],
            ["3.19.0", "3.20.1"],
            ["1.4.0", "1.4.7", "2.1.0", "2.9.1"],
            ["v3.5.13"],
        ])
    }

    /// (file, words the error must contain)
    @Test(arguments: [
        ("reg.io:\n  image:\n    a: []\n", "unknown key"),
        ("reg.io:\n  images:\n    a: latest\n", "list of tags"),
        ("reg.io:\n  images:\n    a: [\"sha256:12\"]\n", "neither a tag nor a digest"),
        ("reg.io:\n  images:\n    A: []\n", "reg.io.images.A"),
        ("reg.io:\n  images-by-tag-regex:\n    a: \"[\"\n", "does not compile"),
        ("reg.io:\n  images-by-semver:\n    a: \">= banana\"\n", "semver constraint"),
        ("reg.io:\n  tls-verify: maybe\n", "true or false"),
        ("reg.io:\n  credentials:\n    password: x\n", "username"),
        ("\"not a host!\":\n  images: {}\n", "not a registry"),
        ("reg.io: [a]\n", "registry settings"),
    ])
    func badFilesAreRefused(_ text: String, _ mention: String) {
        do {
            _ = try SkopeoSyncFile(text: text, source: "sync.yaml")
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
        }
    }

    /// Forks write a list of constraints; any of them selects.
    @Test func semverListMeansAnyOf() async throws {
        let file = try SkopeoSyncFile(text: "reg.io:\n  images-by-semver:\n    a: [\"~1.0\", \"^3.0.0\"]\n", source: "sync.yaml")
        let selections = try await RuleResolver(lister: TableTagLister(["reg.io/a": ["1.0.5", "2.0.0", "3.1.0"]])).resolve(file.rules, source: "x")
        #expect(selections.first?.mappings.map { $0.source.tag ?? "" } == ["1.0.5", "3.1.0"])
    }
}
