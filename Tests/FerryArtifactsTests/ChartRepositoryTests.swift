import FerryArtifacts
import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rule (formats/helm-chart/SPEC.md, "What ferry reads"): a `--chart` names a repository, a
/// chart and a version or range; index.yaml picks the version and resolves its URL as Helm does.
@Suite struct ChartRepositoryTests {
    struct RequestCase: Sendable, CustomStringConvertible {
        var text: String
        var repository: String?
        var name: String = ""
        var constraint: String? = nil
        var description: String { text }
    }

    @Test(arguments: [
        RequestCase(text: "https://charts.example.com/stable/nginx", repository: "https://charts.example.com/stable", name: "nginx"),
        RequestCase(text: "https://charts.example.com/nginx@1.2.3+build.7", repository: "https://charts.example.com", name: "nginx",
                    constraint: "1.2.3+build.7"),
        RequestCase(text: "http://127.0.0.1:8080/a/b/app@>=1.0 <2", repository: "http://127.0.0.1:8080/a/b", name: "app", constraint: ">=1.0 <2"),
        RequestCase(text: "https://charts.example.com", repository: nil),
        RequestCase(text: "https://charts.example.com/", repository: nil),
        RequestCase(text: "ftp://charts.example.com/nginx", repository: nil),
        RequestCase(text: "https://user:pw@charts.example.com/nginx", repository: nil),
        RequestCase(text: "https://charts.example.com/nginx?x=1", repository: nil),
        RequestCase(text: "https://charts.example.com/Nginx", repository: nil),
        RequestCase(text: "https://charts.example.com/nginx@", repository: nil),
        RequestCase(text: "https://charts.example.com/nginx@not a range", repository: nil),
    ])
    func requests(_ case: RequestCase) throws {
        guard let repository = `case`.repository else {
            #expect(throws: FerryArtifactsError.self) { try ChartRequest(parsing: `case`.text) }
            return
        }
        let request = try ChartRequest(parsing: `case`.text)
        #expect(request.repository == repository)
        #expect(request.name == `case`.name)
        #expect(request.constraint == `case`.constraint)
    }

    @Test func errorsNeverRepeatACredential() {
        do {
            _ = try ChartRequest(parsing: "https://user:s3cret@charts.example.com/nginx")
            Issue.record("accepted a URL with credentials")
        } catch {
            #expect(!"\(error)".contains("s3cret"))
        }
    }

    @Test func referencesKeepHostAndPath() throws {
        #expect(try ChartRequest(parsing: "http://127.0.0.1:8080/charts/demo").reference(tag: "0.1.0").description == "127.0.0.1:8080/charts/demo:0.1.0")
        #expect(try ChartRequest(parsing: "https://charts.example.com/demo").reference(tag: "1_b").description == "charts.example.com/demo:1_b")
        #expect(throws: FerryArtifactsError.self) { try ChartRequest(parsing: "https://charts/demo").reference(tag: "1") }
    }

    static func index() throws -> ChartRepositoryIndex {
        let yaml = """
        apiVersion: v1
        entries:
          app:
          - version: 1.2.0
            urls: [app-1.2.0.tgz]
            digest: \(String(repeating: "a", count: 64))
            created: "2026-01-01T00:00:00Z"
          - version: 1.10.1
            urls: [https://cdn.example.com/app-1.10.1.tgz]
          - version: 2.0.0-rc.1
            urls: [sub/app-2.0.0-rc.1.tgz]
          - version: 1.2.0+b.2
            urls: [app-1.2.0+b.2.tgz]
          - version: not-semver
            urls: [odd.tgz]
        generated: "2026-01-01T00:00:00Z"
        """
        return try ChartRepositoryIndex(yaml: yaml, repository: "http://127.0.0.1:9/charts")
    }

    @Test(arguments: [
        ("", "1.10.1"),
        ("@1.2.0", "1.2.0"),
        ("@1.2.0+b.2", "1.2.0+b.2"),
        ("@^1.2", "1.10.1"),
        ("@~1.2", "1.2.0"),
        ("@>=2.0.0-0", "2.0.0-rc.1"),
    ])
    func versions(_ suffix: String, _ expected: String) throws {
        let entry = try Self.index().select(try ChartRequest(parsing: "http://127.0.0.1:9/charts/app" + suffix))
        #expect(entry.version == expected)
    }

    @Test(arguments: ["http://127.0.0.1:9/charts/other", "http://127.0.0.1:9/charts/app@3.0.0", "http://127.0.0.1:9/charts/app@^3"])
    func missingVersionsNameWhatIsListed(_ text: String) throws {
        do {
            _ = try Self.index().select(try ChartRequest(parsing: text))
            Issue.record("selected something for \(text)")
        } catch let error as FerryArtifactsError {
            #expect("\(error)".contains(text.replacingOccurrences(of: "http://127.0.0.1:9/charts/", with: "").split(separator: "@")[0]))
        }
    }

    @Test func urlsResolveAgainstTheRepository() throws {
        let index = try Self.index()
        let urls = try (index.entries["app"] ?? []).map { try index.chartURL($0) }
        #expect(urls == ["http://127.0.0.1:9/charts/app-1.2.0.tgz", "https://cdn.example.com/app-1.10.1.tgz",
                         "http://127.0.0.1:9/charts/sub/app-2.0.0-rc.1.tgz", "http://127.0.0.1:9/charts/app-1.2.0+b.2.tgz",
                         "http://127.0.0.1:9/charts/odd.tgz"])
        #expect(index.entries["app"]?.first?.digest?.description == "sha256:" + String(repeating: "a", count: 64))
    }

    /// The example index.yaml is helm repo index's own output.
    @Test func helmsIndexReads() throws {
        let text = String(decoding: try Fixtures.bytes("helm-chart/examples/index.yaml"), as: UTF8.self)
        let index = try ChartRepositoryIndex(yaml: text, repository: "http://127.0.0.1:9")
        let rich = try index.select(try ChartRequest(parsing: "http://127.0.0.1:9/rich"))
        #expect(rich.version == "1.2.3+build.7")
        #expect(try index.chartURL(rich) == "http://127.0.0.1:9/sub/rich-1.2.3+build.7.tgz")
        #expect(rich.digest?.description == "sha256:3eb43d5c5fe9c211d4571795ac9fbff81f998f50ac702acdbdbbffc9c278e7d5")
    }

    @Test(arguments: ["entries: 5", "- a", "apiVersion: v1", "entries:\n  app:\n  - version: 1.0.0\n    digest: zz\n"])
    func badIndexesAreRefused(_ yaml: String) {
        #expect(throws: FerryArtifactsError.self) { try ChartRepositoryIndex(yaml: yaml, repository: "http://127.0.0.1:9") }
    }

    struct DependencyCase: Sendable, CustomStringConvertible {
        var repository: String
        var version: String
        var expected: String
        var description: String { "\(repository) \(version)" }
    }

    /// Rule: Chart.yaml dependencies map to what --chart-deps fetches, or say why not.
    @Test(arguments: [
        DependencyCase(repository: "https://charts.example.com/stable/", version: "~1.2.0", expected: "repository https://charts.example.com/stable/dep@~1.2.0"),
        DependencyCase(repository: "http://127.0.0.1:8080", version: "", expected: "repository http://127.0.0.1:8080/dep"),
        DependencyCase(repository: "oci://registry.example.com/charts", version: "^2", expected: "oci registry.example.com/charts/dep ^2"),
        DependencyCase(repository: "file://../dep", version: "1.0.0", expected: "vendored"),
        DependencyCase(repository: "", version: "1.0.0", expected: "vendored"),
        DependencyCase(repository: "@stable", version: "1.0.0", expected: "unreachable"),
        DependencyCase(repository: "alias:stable", version: "1.0.0", expected: "unreachable"),
    ])
    func dependencies(_ case: DependencyCase) {
        var dependency = ChartMetadata.Dependency()
        dependency.name = "dep"
        dependency.repository = `case`.repository
        dependency.version = `case`.version
        let text: String
        switch ChartDependency(dependency) {
        case .repository(let request): text = "repository \(request)"
        case .oci(let reference, let constraint): text = "oci \(reference.name) \(constraint)"
        case .vendored: text = "vendored"
        case .unreachable: text = "unreachable"
        }
        #expect(text == `case`.expected)
    }
}
