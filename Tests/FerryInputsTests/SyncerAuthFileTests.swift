import FerryInputs
import FerryRegistry
import Testing

/// Rules (formats/sync-files/SPEC.md, auth.json): keys are registry or registry/namespace and the
/// longest key that is the registry or a path prefix of registry/repository wins; `{}` is
/// anonymous; `insecure` marks the host; values expand `${VAR}`/`$VAR`; no secret in errors.
@Suite struct SyncerAuthFileTests {
    static func example(_ name: String) throws -> SyncerAuthFile {
        try SyncerAuthFile(text: try InputsFixtures.text("image-syncer/\(name)"), source: name,
                           environment: InputsFixtures.authEnvironment)
    }

    @Test(arguments: ["auth.json", "auth.yaml"])
    func examplesDecode(_ name: String) throws {
        let file = try Self.example(name)
        #expect(file.entries.map(\.key) == ["quay.io", "quay.io/coreos", "registry.cn-beijing.aliyuncs.com",
                                            "docker.io", "harbor.dc2.local:8080", "public.ecr.aws"])
        #expect(file.insecureRegistries == ["harbor.dc2.local:8080"])
        #expect(file.entries.first { $0.key == "quay.io" }?.credential == Credential(username: "mirror-bot", password: "quay-secret"))
        #expect(file.entries.first { $0.key == "docker.io" }?.credential == Credential(username: "hubber", password: "hub-token"))
        #expect(file.entries.first { $0.key == "public.ecr.aws" }?.credential == nil)
    }

    @Test func jsonAndYAMLFormsAgree() throws {
        #expect(try Self.example("auth.json").entries == Self.example("auth.yaml").entries)
    }

    /// (registry, repository, expected username or nil for anonymous)
    @Test(arguments: [
        ("quay.io", "coreos/etcd", "coreos-reader"),
        ("quay.io", "coreos", "coreos-reader"),
        ("quay.io", "coreos/etcd/sub", "coreos-reader"),
        ("quay.io", "coreosx/etcd", "mirror-bot"),          // a prefix must end at "/"
        ("quay.io", "prometheus/node-exporter", "mirror-bot"),
        ("quay.io", nil, "mirror-bot"),
        ("docker.io", "library/nginx", "hubber"),            // registry.hub.docker.com is docker.io
        ("registry.cn-beijing.aliyuncs.com", "ns/app", "ops@example.com"),
        ("harbor.dc2.local:8080", "x/y", "admin"),
        ("harbor.dc2.local", "x/y", nil),                   // the port is part of the host
        ("public.ecr.aws", "a/b", nil),                     // {} = anonymous
        ("ghcr.io", "org/app", nil),
    ] as [(String, String?, String?)])
    func longestPrefixWins(_ registry: String, _ repository: String?, _ username: String?) async throws {
        let file = try Self.example("auth.json")
        let credential = try await file.credential(registry: registry, repository: repository)
        #expect(credential?.username == username)
    }

    @Test func literalDollarPasswordsStayAsWritten() async throws {
        let credential = try await Self.example("auth.yaml").credential(registry: "registry.cn-beijing.aliyuncs.com", repository: "a/b")
        #expect(credential?.password == "literal-pa$$word")
    }

    /// An anonymous entry offers nothing, so a later source in the chain may answer.
    @Test func anonymousFallsThroughAChain() async throws {
        let chain = ChainedCredentials([try Self.example("auth.json"), StaticCredentials(Credential(username: "fallback", password: "p"))])
        #expect(try await chain.credential(registry: "public.ecr.aws", repository: "a/b")?.username == "fallback")
        #expect(try await chain.credential(registry: "quay.io", repository: "coreos/etcd")?.username == "coreos-reader")
    }

    @Test func missingVariableStopsLoading() throws {
        let text = try InputsFixtures.text("image-syncer/auth.json")
        do {
            _ = try SyncerAuthFile(text: text, source: "auth.json", environment: [:])
            Issue.record("expected missingVariable")
        } catch {
            guard case .missingVariable(_, let key, let field) = error else { Issue.record("\(error)"); return }
            #expect(key == "quay.io" && field == "password")
            #expect(!error.description.contains("QUAY_PASSWORD"))
        }
    }

    @Test(arguments: [
        ("[]", "mapping"),
        ("{\"quay.io\": \"user:pass\"}", "quay.io"),
        ("{\"quay.io\": {\"insecure\": \"maybe\"}}", "quay.io.insecure"),
        ("{\"quay.io\": {\"username\": [\"a\"]}}", "quay.io.username"),
        ("{\"quay.io\": {\"username\": \"u\", \"password\": \"hunter2\"", "not valid"),
    ])
    func badShapesAreRefusedWithoutEchoingSecrets(_ text: String, _ mention: String) {
        do {
            _ = try SyncerAuthFile(text: text, source: "auth.json", environment: [:])
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
            #expect(!error.description.contains("hunter2"))
            #expect(!error.description.contains("user:pass"))
        }
    }

    @Test func emptyObjectIsAllAnonymous() async throws {
        let file = try SyncerAuthFile(text: "{}", source: "auth.json", environment: [:])
        #expect(file.entries.isEmpty)
        #expect(try await file.credential(registry: "quay.io", repository: "a/b") == nil)
    }
}
