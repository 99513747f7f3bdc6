import FerryCore
import FerryInputs
import FerryTestSupport
import Testing

/// Rules (formats/sync-files/SPEC.md, "Kubernetes discovery"): images of containers,
/// initContainers and ephemeralContainers of workload kinds, through List/*List items, in
/// multi-document YAML and JSON; normalised, de-duplicated, sorted; bad strings reported with
/// file and document; scanning goes on.
@Suite struct KubernetesDiscoveryTests {
    @Test func examplesDirectoryGivesTheExpectedList() throws {
        var discovery = KubernetesDiscovery()
        try discovery.scan(paths: [InputsFixtures.path("kubernetes")])
        let expected = try Fixtures.tsv("sync-files/examples/kubernetes.expected.txt").map { $0[0] }
        #expect(discovery.references.map(\.description) == expected)
        #expect(discovery.problems.isEmpty, "\(discovery.problems)")
    }

    /// Every example file contributes, and each image knows where it was found.
    @Test(arguments: [
        ("deployment-web.yaml", ["docker.io/library/busybox:1.36", "ghcr.io/example/shop-web:2.8.1",
                                 "registry.k8s.io/ingress-nginx/controller:v1.10.1@sha256:487a0a9a39038de9767bdcbc6f81bf46cd7dcedb81be97d41dd6079d35bd922e"]),
        ("statefulset-postgres.json", ["docker.io/library/busybox:1.36", "docker.io/library/postgres:16.3",
                                       "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"]),
        ("cronjob-backup.yaml", ["docker.io/amazon/aws-cli:2.15.40", "docker.io/library/postgres:16.3"]),
        ("kubectl-get-all.yaml", ["docker.io/nicolaka/netshoot:v0.12", "quay.io/prometheus/node-exporter:v1.8.1",
                                  "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.12.0"]),
        ("podlist.json", ["gcr.io/google-samples/gb-frontend:v5", "registry.k8s.io/coredns/coredns:v1.11.1"]),
        ("helm-rendered.yaml", ["docker.io/bitnami/redis-exporter:1.60.0-debian-12-r2", "docker.io/bitnami/redis:7.2.5-debian-12-r0",
                                "docker.io/library/busybox:latest", "ghcr.io/example/shop-web:2.8.1"]),
    ])
    func eachExample(_ name: String, _ expected: [String]) throws {
        var discovery = KubernetesDiscovery()
        discovery.scan(text: try InputsFixtures.text("kubernetes/\(name)"), source: name)
        #expect(discovery.references.map(\.description) == expected)
        #expect(discovery.problems.isEmpty)
    }

    @Test func locationsNameDocumentObjectAndContainer() throws {
        var discovery = KubernetesDiscovery()
        discovery.scan(text: try InputsFixtures.text("kubernetes/helm-rendered.yaml"), source: "helm.yaml")
        discovery.scan(text: try InputsFixtures.text("kubernetes/kubectl-get-all.yaml"), source: "get.yaml")
        let busybox = try #require(discovery.images.first { $0.reference.description == "docker.io/library/busybox:latest" })
        #expect(busybox.locations.map(\.description) == ["helm.yaml: document 4: Pod/shop-test-connection: containers[0]"])
        let exporter = try #require(discovery.images.first { $0.reference.description == "quay.io/prometheus/node-exporter:v1.8.1" })
        #expect(exporter.locations.map(\.description) == [
            "get.yaml: document 1: items[0] Pod/node-exporter-7xk2p: containers[0]",
            "get.yaml: document 1: items[1] DaemonSet/node-exporter: containers[0]",
        ])
        let netshoot = try #require(discovery.images.first { $0.reference.description.contains("netshoot") })
        #expect(netshoot.locations.first?.container == "ephemeralContainers[0]")
    }

    @Test func invalidExamplesAreReportedAndScanningGoesOn() throws {
        var discovery = KubernetesDiscovery()
        try discovery.scan(paths: [InputsFixtures.path("kubernetes-invalid")])
        #expect(discovery.references.map(\.description) == ["docker.io/library/alpine:3.20"])
        let problems = discovery.problems.map(\.description)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("broken.yaml: document 1: not valid YAML or JSON: line 9, column 6: did not find expected '-' indicator (while parsing a block collection)") })
        #expect(problems.contains { $0.contains("unrendered.yaml: document 1: Deployment/api: containers[0]: image \"{{ .Values.image.repository }}") })
        #expect(problems.contains { $0.contains("unrendered.yaml: document 2: Pod/tools: containers[1]: image \"Docker.io/Library/Alpine:3.20\"") })
    }

    /// (manifest text, images found, problems)
    @Test(arguments: [
        ("kind: Pod\nspec:\n  containers:\n  - image: nginx\n", ["docker.io/library/nginx:latest"], 0),
        ("kind: ConfigMap\ndata:\n  image: nginx\n", [], 0),
        ("kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n", [], 1),
        ("kind: Pod\nspec:\n  containers:\n  - image: [a]\n", [], 1),
        ("kind: Pod\nspec:\n  containers:\n  - image: ''\n", [], 1),
        ("kind: Pod\nspec:\n  ephemeralContainers:\n  - name: x\n", [], 0),
        ("kind: List\nitems:\n- kind: List\n  items:\n  - kind: Job\n    spec:\n      template:\n        spec:\n          containers:\n          - image: a/b:1\n", ["docker.io/a/b:1"], 0),
        ("kind: DeploymentList\nitems:\n- kind: Deployment\n  spec:\n    template:\n      spec:\n        initContainers:\n        - image: quay.io/x/y@sha256:b47570c13dee13b8c82f75c40b5fe710e148d0ace9901350ec5155ef20166e39\n",
         ["quay.io/x/y@sha256:b47570c13dee13b8c82f75c40b5fe710e148d0ace9901350ec5155ef20166e39"], 0),
        ("---\n---\n# only comments\n", [], 0),
        ("[1, 2, 3]", [], 0),
        ("{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"image\": \"  redis:7  \"}]}}", ["docker.io/library/redis:7"], 0),
    ])
    func shapes(_ text: String, _ images: [String], _ problems: Int) {
        var discovery = KubernetesDiscovery()
        discovery.scan(text: text, source: "t.yaml")
        #expect(discovery.references.map(\.description) == images)
        #expect(discovery.problems.count == problems, "\(discovery.problems)")
    }

    @Test func missingPathIsAnError() {
        var discovery = KubernetesDiscovery()
        #expect(throws: FerryInputsError.self) { try discovery.scan(paths: ["/nonexistent/ferry-manifests"]) }
    }
}
