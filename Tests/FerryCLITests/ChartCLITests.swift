import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 20, formats/helm-chart/SPEC.md): `ferry export --chart` takes a chart from a
/// classic repository (behind Basic auth, with a version range), checks it against index.yaml,
/// and stores the artifact `helm push` makes of the same .tgz: the same config, layer and
/// annotations (but `created`, which comes from index.yaml). Two exports give one digest.
/// After import, the real helm pulls and renders it from the registry, byte for byte. A .tgz
/// that does not match index.yaml is refused, naming the chart.
@Suite(.serialized) struct ChartCLITests {
    static let user = "chartuser"
    static let password = "chart-s3cret-pw"

    /// A repository at ROOT/charts made by the real helm: demo 0.1.0, 0.1.5 and 0.2.0.
    static func makeRepository(_ dir: String) async throws -> String {
        let home = dir + "/helm-home"
        let charts = dir + "/repo/charts"
        try FileManager.default.createDirectory(atPath: charts, withIntermediateDirectories: true)
        try await Helm.run(["create", "demo"], home: home, in: dir)
        for version in ["0.1.0", "0.1.5", "0.2.0"] {
            try await Helm.run(["package", dir + "/demo", "--version", version, "-d", charts], home: home)
        }
        try await Helm.run(["repo", "index", charts], home: home)
        return home
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func manifest(_ registry: TestRegistry, _ path: String) throws -> [String: Any] {
        try json(Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/\(path)"]))
    }

    @Test func chartsCrossAsHelmArtifacts() async throws {
        let dir = try ServeCLITests.scratch("chart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let home = try await Self.makeRepository(dir)
        let repo = try await TestChartRepository.start(root: dir + "/repo", user: Self.user, password: Self.password)
        defer { repo.stop() }
        let chart = "\(repo.baseURL)/charts/demo@^0.1"
        let creds = ["--creds", "\(Self.user):\(Self.password)"]

        // Without credentials: refused, naming the host.
        let refused = try CLITests.ferry(["export", "--chart", chart, "-o", "x.tar", "-q"], directory: dir)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains(repo.host), "\(refused.stderr)")

        #expect(repo.log.contains("GET /charts/index.yaml 401 auth=no"), "\(repo.log)")
        let seenBefore = repo.log.split(separator: "\n").count

        // Twice, into two bundles: the range picks 0.1.5, the digests agree.
        var digests: [String] = []
        for name in ["a.tar", "b.tar"] {
            let run = try CLITests.ferry(["export", "--chart", chart, "-o", name, "--format", "json"] + creds, directory: dir)
            #expect(run.status == 0, "\(run.stderr)")
            let images = try #require(try Self.json(run.stdout)["images"] as? [[String: Any]])
            #expect(images.count == 1)
            #expect(images.first?["reference"] as? String == "\(repo.host)/charts/demo:0.1.5")
            digests.append(try #require(images.first?["digest"] as? String))
            #expect(!run.stderr.contains(Self.password))
        }
        #expect(digests[0] == digests[1])
        let requests = repo.log.split(separator: "\n").dropFirst(seenBefore)
        #expect(requests.contains { $0.hasPrefix("GET /charts/demo-0.1.5.tgz 200") }, "\(requests)")
        #expect(!requests.contains { $0.contains("auth=no") }, "every request carried the credentials: \(requests)")
        let verify = try CLITests.ferry(["verify", "a.tar", "-q"], directory: dir)
        #expect(verify.status == 0, "\(verify.stderr)")
        // inspect names the chart, its version and app version.
        let inspect = try CLITests.ferry(["inspect", "a.tar", "--format", "json"], directory: dir)
        let listed = try #require(try Self.json(inspect.stdout)["images"] as? [[String: Any]])
        let described = try #require(listed.first?["chart"] as? [String: Any])
        #expect(described["name"] as? String == "demo" && described["version"] as? String == "0.1.5")
        #expect(described["appVersion"] as? String == "1.16.0")
        let text = try CLITests.ferry(["inspect", "a.tar"], directory: dir)
        #expect(text.stdout.contains("CHART") && text.stdout.contains("1.16.0"), "\(text.stdout)")

        // Next to helm push of the same .tgz: same config and layer, same annotations but created.
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let tgz = dir + "/repo/charts/demo-0.1.5.tgz"
        try await Helm.run(["push", tgz, "oci://\(registry.host)/helm", "--plain-http"], home: home)
        let pushed = try Self.manifest(registry, "helm/demo:0.1.5")
        let imported = try CLITests.ferry(["import", "a.tar", "--to", registry.host + "/site", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        let ours = try Self.manifest(registry, "site/charts/demo:0.1.5")
        #expect((ours["config"] as? [String: Any])?["digest"] as? String == (pushed["config"] as? [String: Any])?["digest"] as? String)
        let layers = { (manifest: [String: Any]) in (manifest["layers"] as? [[String: Any]])?.compactMap { $0["digest"] as? String } }
        #expect(layers(ours) == layers(pushed))
        #expect(layers(ours) == [ServeCLITests.sha256(try Data(contentsOf: URL(fileURLWithPath: tgz)))])
        var annotations = try #require(ours["annotations"] as? [String: String])
        var helms = try #require(pushed["annotations"] as? [String: String])
        let index = try String(contentsOfFile: dir + "/repo/charts/index.yaml", encoding: .utf8)
        let removed = annotations.removeValue(forKey: "org.opencontainers.image.created")
        let created = try #require(removed)
        #expect(index.contains("created: \"\(created.dropLast())"), "created comes from index.yaml: \(created)")
        helms.removeValue(forKey: "org.opencontainers.image.created")
        #expect(annotations == helms)
        #expect(ours["mediaType"] == nil && ours["artifactType"] == nil)

        // helm pulls and renders it from the registry it was imported into.
        let pulled = dir + "/pulled"
        try FileManager.default.createDirectory(atPath: pulled, withIntermediateDirectories: true)
        try await Helm.run(["pull", "oci://\(registry.host)/site/charts/demo", "--version", "0.1.5", "--plain-http", "-d", pulled], home: home)
        #expect(try Data(contentsOf: URL(fileURLWithPath: pulled + "/demo-0.1.5.tgz")) == Data(contentsOf: URL(fileURLWithPath: tgz)))
        let rendered = try await Helm.run(["template", "web", "oci://\(registry.host)/site/charts/demo", "--version", "0.1.5", "--plain-http"], home: home)
        #expect(rendered.contains("kind: Deployment"), "\(rendered.prefix(500))")

        // ferry serve serves it in place: helm pulls the same .tgz with no registry at all.
        let server = try FerryServer.start([dir + "/a.tar"], in: dir)
        defer { server.stop() }
        let served = dir + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try await Helm.run(["pull", "oci://\(server.address)/charts/demo", "--version", "0.1.5", "--plain-http", "-d", served], home: home)
        #expect(try Data(contentsOf: URL(fileURLWithPath: served + "/demo-0.1.5.tgz")) == Data(contentsOf: URL(fileURLWithPath: tgz)))
        // extract writes it as helm pull names it.
        let extracted = try CLITests.ferry(["extract", "a.tar", "-o", "x", "-q"], directory: dir)
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/x/demo-0.1.5.tgz")) == Data(contentsOf: URL(fileURLWithPath: tgz)))

        // An OCI chart is an ordinary reference: it travels by its tag, digest unchanged.
        let oci = try CLITests.ferry(["export", "--chart", "oci://\(registry.host)/helm/demo:0.1.5", "-o", "oci.tar", "--format", "json"],
                                     directory: dir)
        #expect(oci.status == 0, "\(oci.stderr)")
        let ociImages = try #require(try Self.json(oci.stdout)["images"] as? [[String: Any]])
        let helmDigest = ServeCLITests.sha256(Data(try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false",
                                                                                       "docker://\(registry.host)/helm/demo:0.1.5"]).utf8))
        #expect(ociImages.first?["digest"] as? String == helmDigest)

        // A .tgz replaced after indexing: refused with the chart, version and both digests.
        let replaced = dir + "/repo/charts/demo-0.2.0.tgz"
        try Data(contentsOf: URL(fileURLWithPath: tgz)).write(to: URL(fileURLWithPath: replaced))
        let bad = try CLITests.ferry(["export", "--chart", "\(repo.baseURL)/charts/demo@0.2.0", "-o", "bad.tar", "-q"] + creds, directory: dir)
        #expect(bad.status == 76, "\(bad.stderr)")
        #expect(bad.stderr.contains("demo 0.2.0") && bad.stderr.contains("index.yaml lists"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad.tar"))
    }

    /// Rule (formats/image-list/SPEC.md): a plain list carries `chart:` and `file:` lines; a
    /// relative file path starts at the list's directory; a bad line is named by its number,
    /// never with a password in it, before any network traffic.
    @Test func listsCarryChartsAndFiles() async throws {
        let dir = try ServeCLITests.scratch("chartlist")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await Self.makeRepository(dir)
        let repo = try await TestChartRepository.start(root: dir + "/repo")
        defer { repo.stop() }
        try FileManager.default.createDirectory(atPath: dir + "/lists", withIntermediateDirectories: true)
        try Data("payload".utf8).write(to: URL(fileURLWithPath: dir + "/tool.bin"))
        let list = """
        # what site A needs besides images
        chart: \(repo.baseURL)/charts/demo@0.1.0
        file: ../tool.bin=tools/tool:1   # relative to this list
        """
        try Data(list.utf8).write(to: URL(fileURLWithPath: dir + "/lists/site.txt"))
        // A provenance file next to the chart travels as Helm's second layer.
        let provenance = Data("-----BEGIN PGP SIGNED MESSAGE-----\nnot checked by ferry\n".utf8)
        try provenance.write(to: URL(fileURLWithPath: dir + "/repo/charts/demo-0.1.0.tgz.prov"))
        let run = try CLITests.ferry(["export", "-f", "lists/site.txt", "-o", "l.tar", "--format", "json"], directory: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let images = try #require(try Self.json(run.stdout)["images"] as? [[String: Any]])
        #expect(images.compactMap { $0["reference"] as? String }.sorted() == ["\(repo.host)/charts/demo:0.1.0", "localhost/tools/tool:1"])
        let extracted = try CLITests.ferry(["extract", "l.tar", "-o", "x", "-q"], directory: dir)
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/x/demo-0.1.0.tgz.prov")) == provenance)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/x/tool.bin")) == Data("payload".utf8))

        let bad = "nginx:1.27\nchart: https://someone:hunter2-pw@charts.example.com/web\nfile: missing.bin\n"
        try Data(bad.utf8).write(to: URL(fileURLWithPath: dir + "/lists/bad.txt"))
        let refused = try CLITests.ferry(["export", "-f", "lists/bad.txt", "-o", "b.tar", "-q"], directory: dir)
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("bad.txt:2:"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("hunter2"), "\(refused.stderr)")
        #expect(!repo.log.contains("GET /charts/index.yaml 200") || run.status == 0)
    }

    /// Rules: `--chart-deps` brings the dependencies Chart.yaml names, from a chart repository
    /// and from an OCI registry, at the highest version their range allows, and reports what it
    /// cannot reach; `--chart-images` brings the images of the artifacthub.io/images annotation
    /// and of literal templates, and names the templates that need rendering.
    @Test func dependenciesAndImagesComeAlong() async throws {
        let dir = try ServeCLITests.scratch("chartdeps")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let home = try await Self.makeRepository(dir)
        let repo = try await TestChartRepository.start(root: dir + "/repo")
        defer { repo.stop() }
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let corpus = try await registry.push(seed: 23)
        let web = try #require(corpus.image("apps/web:1.0"))
        let docker = try #require(corpus.image("legacy/docker:3"))
        // lib 1.0.0 and 1.2.0 in the OCI registry, pushed by helm.
        try await Helm.run(["create", "lib"], home: home, in: dir)
        for version in ["1.0.0", "1.2.0", "2.0.0"] {
            try await Helm.run(["package", dir + "/lib", "--version", version, "-d", dir + "/libs"], home: home)
            try await Helm.run(["push", dir + "/libs/lib-\(version).tgz", "oci://\(registry.host)/helm", "--plain-http"], home: home)
        }
        // app 1.0.0: made by hand (helm package wants its dependencies vendored first).
        let app = dir + "/app"
        try FileManager.default.createDirectory(atPath: app + "/templates", withIntermediateDirectories: true)
        let chartYAML = """
        apiVersion: v2
        name: app
        version: 1.0.0
        annotations:
          artifacthub.io/images: |
            - name: web
              image: \(web.reference)
        dependencies:
          - name: demo
            version: "~0.1.0"
            repository: \(repo.baseURL)/charts
          - name: lib
            version: "^1.0.0"
            repository: oci://\(registry.host)/helm
          - name: local
            version: 0.1.0
            repository: file://../local
          - name: other
            version: 1.0.0
            repository: "@stable"
        """
        try Data(chartYAML.utf8).write(to: URL(fileURLWithPath: app + "/Chart.yaml"))
        let literal = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: legacy}
        spec:
          template:
            spec:
              containers:
                - name: legacy
                  image: \(docker.reference)
        """
        try Data(literal.utf8).write(to: URL(fileURLWithPath: app + "/templates/literal.yaml"))
        try Data("kind: Pod\nspec:\n  containers:\n    - image: {{ .Values.image }}\n".utf8)
            .write(to: URL(fileURLWithPath: app + "/templates/rendered.yaml"))
        _ = try Tool.run("/usr/bin/tar", ["-czf", dir + "/repo/charts/app-1.0.0.tgz", "-C", dir, "app"])
        try await Helm.run(["repo", "index", dir + "/repo/charts"], home: home)

        let run = try CLITests.ferry(["export", "--chart", "\(repo.baseURL)/charts/app", "--chart-deps", "--chart-images",
                                      "-o", "deps.tar", "--format", "json"], directory: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let images = try #require(try Self.json(run.stdout)["images"] as? [[String: Any]])
        let references = Set(images.compactMap { $0["reference"] as? String })
        for expected in ["\(repo.host)/charts/app:1.0.0", "\(repo.host)/charts/demo:0.1.5", "\(registry.host)/helm/lib:1.2.0",
                         web.reference, docker.reference] {
            #expect(references.contains(expected), "\(expected) in \(references.sorted())")
        }
        #expect(references.count == 5, "\(references.sorted())")
        #expect(run.stderr.contains("dependency other") && run.stderr.contains("@stable"), "\(run.stderr)")
        #expect(run.stderr.contains("app/templates/rendered.yaml") && run.stderr.contains("| ferry discover -"), "\(run.stderr)")
        let verify = try CLITests.ferry(["verify", "deps.tar", "-q"], directory: dir)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    /// Rule: `--creds` goes to the chart repository's own host only. An index.yaml that sends
    /// the download to another host gets it fetched there without the password.
    @Test func credentialsStayWithTheirHost() async throws {
        let dir = try ServeCLITests.scratch("chartcreds")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let home = try await Self.makeRepository(dir)
        // The files live on a second server; the first (with Basic auth) serves only an index
        // whose urls point there.
        let files = try await TestChartRepository.start(root: dir + "/repo")
        defer { files.stop() }
        try FileManager.default.createDirectory(atPath: dir + "/front/charts", withIntermediateDirectories: true)
        try await Helm.run(["repo", "index", dir + "/repo/charts", "--url", "\(files.baseURL)/charts"], home: home)
        try FileManager.default.copyItem(atPath: dir + "/repo/charts/index.yaml", toPath: dir + "/front/charts/index.yaml")
        let front = try await TestChartRepository.start(root: dir + "/front", user: Self.user, password: Self.password)
        defer { front.stop() }
        let run = try CLITests.ferry(["export", "--chart", "\(front.baseURL)/charts/demo@0.2.0", "-o", "c.tar", "-q",
                                      "--creds", "\(Self.user):\(Self.password)"], directory: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(front.log.contains("GET /charts/index.yaml 200 auth=yes"), "\(front.log)")
        #expect(files.log.contains("GET /charts/demo-0.2.0.tgz 200 auth=no"), "\(files.log)")
        #expect(!files.log.contains("auth=yes"), "the password reached another host: \(files.log)")
    }
}
