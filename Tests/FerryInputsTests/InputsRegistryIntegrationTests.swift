import FerryCore
import FerryHTTP
import FerryInputs
import FerryRegistry
import FerryTestSupport
import Foundation
import Testing

/// Rules checked against a real registry (Debian docker-registry with htpasswd):
/// image-syncer auth keys match by longest registry/namespace prefix, `${VAR}` passwords reach
/// the wire, and tag regex / semver / all-tags rules select from the registry's real tag list.
@Suite(.serialized) struct InputsRegistryIntegrationTests {
    static let user = "alice"
    static let password = "correct horse"
    /// The tags the selection tests push, all pointing at one small image.
    static let tags = ["1.0.0", "1.2.3", "v1.3.0", "2.0.0", "latest", "1.2.3-rc1"]

    static func client(_ credentials: any CredentialProvider) -> RegistryClient {
        RegistryClient(http: HTTPClient(configuration: HTTPConfiguration(maximumConcurrentTransfers: 4)),
                       configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.05, maximumDelay: 1)),
                       credentials: credentials)
    }

    /// An auth file whose registry-wide entry has `registryPassword` and whose `apps` namespace
    /// entry takes its password from $FERRY_TEST_APPS_PASSWORD.
    static func authFile(_ registry: TestRegistry, registryPassword: String, appsPassword: String) throws -> SyncerAuthFile {
        let text = """
            {
              "\(registry.host)": {"username": "\(user)", "password": "\(registryPassword)"},
              "\(registry.host)/apps": {"username": "\(user)", "password": "${FERRY_TEST_APPS_PASSWORD}"}
            }
            """
        return try SyncerAuthFile(text: text, source: "auth.json", environment: ["FERRY_TEST_APPS_PASSWORD": appsPassword])
    }

    static func isUnauthorized(_ error: any Error) -> Bool {
        if case RegistryError.unauthorized = error { return true }
        return false
    }

    @Test func longestPrefixCredentialReachesTheRegistry() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: Self.user, password: Self.password))
        defer { registry.stop() }
        _ = try await registry.push(seed: 61)

        // Namespace entry right, registry entry wrong: apps/* works, everything else is refused.
        let namespaceRight = try Self.authFile(registry, registryPassword: "wrong", appsPassword: Self.password)
        #expect(try await Self.client(namespaceRight).listTags(registry: registry.host, repository: "apps/web").sorted() == ["1.0", "latest"])
        await #expect(throws: RegistryError.self) {
            _ = try await Self.client(namespaceRight).listTags(registry: registry.host, repository: "base/os")
        }
        do {
            _ = try await Self.client(namespaceRight).listTags(registry: registry.host, repository: "base/os")
        } catch {
            #expect(Self.isUnauthorized(error), "\(error)")
        }

        // The other way round: the namespace entry wins for apps/* even though the registry entry is right.
        let namespaceWrong = try Self.authFile(registry, registryPassword: Self.password, appsPassword: "wrong")
        #expect(try await Self.client(namespaceWrong).listTags(registry: registry.host, repository: "base/os") == ["1"])
        do {
            _ = try await Self.client(namespaceWrong).listTags(registry: registry.host, repository: "apps/multi")
            Issue.record("apps/multi must use the (wrong) apps entry")
        } catch {
            #expect(Self.isUnauthorized(error), "\(error)")
        }
    }

    /// One client, two namespaces with different credentials: each repository is sent its own
    /// credential (Basic is cached per repository, not per registry), so the registry-wide
    /// wrong password fails for base/os after apps/web succeeded with the apps entry.
    @Test func basicCredentialsPerNamespaceInOneClient() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: Self.user, password: Self.password))
        defer { registry.stop() }
        _ = try await registry.push(seed: 62)
        let client = Self.client(try Self.authFile(registry, registryPassword: "wrong", appsPassword: Self.password))
        #expect(try await client.listTags(registry: registry.host, repository: "apps/web").sorted() == ["1.0", "latest"])
        await #expect(throws: RegistryError.self) {
            _ = try await client.listTags(registry: registry.host, repository: "base/os")
        }
    }

    /// Pushes apps/web:1.0's manifest into sel/app under `tags` (blobs mounted, bytes unchanged).
    static func pushTags(_ registry: TestRegistry, corpus: PushedCorpus, client: RegistryClient) async throws -> Digest {
        let web = try #require(corpus.image("apps/web:1.0"))
        for blob in web.blobs {
            let digest = try Digest(parsing: blob)
            _ = try await client.mountBlob(registry: registry.host, repository: "sel/app", digest: digest, from: "apps/web")
        }
        let manifest = try await client.fetchManifest(try ImageReference(parsing: web.reference))
        for tag in tags {
            try await client.putManifest(registry: registry.host, repository: "sel/app", reference: tag,
                                         bytes: manifest.bytes, mediaType: manifest.mediaType, digest: manifest.digest)
        }
        return manifest.digest
    }

    @Test func regexSemverAndAllTagsSelectFromTheRealTagList() async throws {
        let registry = try await TestRegistry.start(auth: .htpasswd(user: Self.user, password: Self.password))
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 63)
        let auth = try SyncerAuthFile(text: "{\"\(registry.host)\": {\"username\": \"\(Self.user)\", \"password\": \"$PW\"}}",
                                      source: "auth.json", environment: ["PW": Self.password])
        let client = Self.client(auth)
        let digest = try await Self.pushTags(registry, corpus: corpus, client: client)
        #expect(try await client.listTags(registry: registry.host, repository: "sel/app").sorted() == Self.tags.sorted())

        let h = registry.host
        let images = try SyncerImagesFile(text: """
            \(h)/sel/app:/^v?1\\./: mirror.local/sel/app
            \(h)/sel/app: ""
            \(h)/sel/app:2.0.0,latest: mirror.local/sel/app:two,newest
            \(h)/sel/app@\(digest): mirror.local/pinned/app
            """, source: "images.yaml")
        let skopeo = try SkopeoSyncFile(text: """
            \(h):
              images-by-semver:
                sel/app: ">= 1.2.0, < 2.0.0"
              images-by-tag-regex:
                sel/app: "-rc[0-9]+$"
              images:
                sel/app: []
            """, source: "sync.yaml")
        let resolver = RuleResolver(lister: client, defaults: DestinationDefaults(registry: "mirror.local", namespace: "ns"))
        let fromImages = try await resolver.resolve(images.rules, source: "images.yaml", requireDestinations: true)
        let fromSkopeo = try await resolver.resolve(skopeo.rules, source: "sync.yaml")
        func tags(_ selection: RuleSelection) -> [String] { selection.mappings.map { $0.source.tag ?? "@" }.sorted() }

        #expect(tags(fromImages[0]) == ["1.0.0", "1.2.3", "1.2.3-rc1", "v1.3.0"])
        #expect(fromImages[0].mappings.first { $0.source.tag == "v1.3.0" }?.destinations.map(\.description) == ["mirror.local/sel/app:v1.3.0"])
        #expect(tags(fromImages[1]) == Self.tags.sorted())
        #expect(fromImages[1].mappings.first { $0.source.tag == "latest" }?.destinations.map(\.description) == ["mirror.local/ns/app:latest"])
        #expect(fromImages[2].mappings.map(\.description) == ["\(h)/sel/app:2.0.0 → mirror.local/sel/app:two", "\(h)/sel/app:latest → mirror.local/sel/app:newest"])
        #expect(fromImages[3].mappings.map(\.description) == ["\(h)/sel/app@\(digest) → mirror.local/pinned/app@\(digest)"])
        #expect(fromSkopeo.map(tags) == [Self.tags.sorted(), ["1.2.3-rc1"], ["1.2.3", "v1.3.0"]])

        // Every selected image exists: fetch each and compare digests.
        for mapping in (fromImages + fromSkopeo).flatMap(\.mappings) {
            #expect(try await client.fetchManifest(mapping.source).digest == digest)
        }
    }
}
