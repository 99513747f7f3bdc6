import FerryArtifacts
import FerryCore
import FerryInputs
import FerryTestSupport
import Foundation
import Testing

/// Rule (formats/helm-chart/SPEC.md): from a chart's Chart.yaml ferry writes the config and
/// manifest `helm push` writes, byte for byte; the examples are helm 3.17.3's own output.
@Suite struct HelmChartArtifactTests {
    struct Example: Sendable, CustomStringConvertible {
        var name: String
        var chart: Descriptor
        var created: String?
        var description: String { name }
    }

    static let examples: [Example] = [
        Example(name: "rich",
                chart: Descriptor(mediaType: HelmChartArtifact.chartType,
                                  digest: Self.digest("sha256:3eb43d5c5fe9c211d4571795ac9fbff81f998f50ac702acdbdbbffc9c278e7d5"), size: 5128),
                // The chart's own created annotation wins over the repository's.
                created: "2030-01-01T00:00:00Z"),
        Example(name: "edge",
                chart: Descriptor(mediaType: HelmChartArtifact.chartType,
                                  digest: Self.digest("sha256:df0adb1c47959857d91e8e40d3df45d2d89137a0e08d920bb5803d65f159afb4"), size: 4856),
                created: "2026-12-07T18:21:00Z"),
    ]

    static func digest(_ text: String) -> Digest {
        (try? Digest(parsing: text)) ?? DigestHasher.digest(of: [UInt8]())
    }

    static func metadata(_ name: String) throws -> ChartMetadata {
        let text = String(decoding: try Fixtures.bytes("helm-chart/examples/\(name)/Chart.yaml"), as: UTF8.self)
        let value = try #require(try YAMLReader.single(text, source: name))
        return try ChartMetadata(value, source: name)
    }

    @Test(arguments: examples) func configAndManifestAreHelms(_ example: Example) throws {
        let metadata = try Self.metadata(example.name)
        let artifact = HelmChartArtifact(metadata: metadata, chart: example.chart, provenance: nil, created: example.created)
        let config = try Fixtures.bytes("helm-chart/examples/\(example.name)/config.json")
        let manifest = try Fixtures.bytes("helm-chart/examples/\(example.name)/manifest.json")
        #expect(String(decoding: artifact.config, as: UTF8.self) == String(decoding: config, as: UTF8.self))
        #expect(String(decoding: artifact.manifest, as: UTF8.self) == String(decoding: manifest, as: UTF8.self))
        #expect(artifact.manifest == Array(manifest))
    }

    /// Helm (oras-go v1) sorts layers by digest string: a .prov with a smaller digest comes first.
    @Test func layersAreSortedByDigest() throws {
        let metadata = try Self.metadata("edge")
        let chart = try #require(Self.examples.last?.chart)
        for (prov, first) in [("sha256:" + String(repeating: "0", count: 64), true), ("sha256:" + String(repeating: "f", count: 64), false)] {
            let provenance = Descriptor(mediaType: HelmChartArtifact.provenanceType, digest: Self.digest(prov), size: 700)
            let artifact = HelmChartArtifact(metadata: metadata, chart: chart, provenance: provenance, created: nil)
            guard case .image(let manifest) = try FetchedManifest(bytes: artifact.manifest, mediaType: .ociManifest,
                                                                     digest: DigestHasher.digest(of: artifact.manifest)).parse() else {
                Issue.record("not a manifest")
                return
            }
            #expect(manifest.layers.map(\.mediaType).first == (first ? HelmChartArtifact.provenanceType : HelmChartArtifact.chartType))
            #expect(manifest.annotations?["org.opencontainers.image.created"] == nil)
        }
    }

    struct TimeCase: Sendable, CustomStringConvertible {
        var text: String
        var expected: String?
        var description: String { text }
    }

    @Test(arguments: [
        TimeCase(text: "2026-12-07T18:19:25.823224418Z", expected: "2026-12-07T18:19:25Z"),
        TimeCase(text: "2026-12-07T23:49:07.879867392+05:30", expected: "2026-12-07T18:19:07Z"),
        TimeCase(text: "2026-01-01T00:30:00-01:00", expected: "2026-01-01T01:30:00Z"),
        TimeCase(text: "2026-12-07", expected: nil),
        TimeCase(text: "yesterday", expected: nil),
    ])
    func createdIsUTCSeconds(_ case: TimeCase) {
        #expect(HelmChartArtifact.createdAnnotation(`case`.text) == `case`.expected)
    }

    @Test func tagsTakeUnderscoreForPlus() {
        #expect(HelmChartArtifact.tag(forVersion: "1.2.3+build.7") == "1.2.3_build.7")
        #expect(HelmChartArtifact.tag(forVersion: "v2.0.0-rc.1") == "v2.0.0-rc.1")
    }
}

/// Rule: ferry's JSON strings are Go's (HTML escaping on, U+2028/9 escaped, raw UTF-8 else).
@Suite struct GoJSONTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("a<b>&c", #""a\u003cb\u003e\u0026c""#),
        ("quote\" back\\ slash/", #""quote\" back\\ slash/""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("bell\u{07} esc\u{1B}", #""bell\u0007 esc\u001b""#),
        ("ls\u{2028} ps\u{2029}", #""ls\u2028 ps\u2029""#),
        ("é ünï 日本 🚢", "\"é ünï 日本 🚢\""),
    ])
    func strings(_ input: String, _ expected: String) {
        #expect(String(decoding: GoJSON.string(input).encoded(), as: UTF8.self) == expected)
    }

    @Test func mapsAreSortedObjectsKeepTheirOrder() {
        let value = GoJSON.object([("z", .int(1)), ("a", .map(["b": .bool(true), "a": .string("x")])), ("m", .array([]))])
        #expect(String(decoding: value.encoded(), as: UTF8.self) == #"{"z":1,"a":{"a":"x","b":true},"m":[]}"#)
    }
}

/// Rule: Chart.yaml values become strings as sigs.k8s.io/yaml makes them, and the fields Helm
/// validates are cleaned as Helm cleans them.
@Suite struct ChartMetadataTests {
    @Test(arguments: [
        ("appVersion: 1.10", "1.1"),
        ("appVersion: 2.0", "2"),
        ("appVersion: \"2.0\"", "2.0"),
        ("appVersion: 1.2.3", "1.2.3"),
        ("appVersion: 7", "7"),
        ("appVersion: true", "true"),
        ("appVersion:", ""),
    ])
    func scalarsBecomeGoStrings(_ line: String, _ expected: String) throws {
        let value = try #require(try YAMLReader.single("name: x\nversion: 1.0.0\n\(line)\n", source: "t"))
        #expect(try ChartMetadata(value, source: "t").appVersion == expected)
    }

    @Test func validatedFieldsAreCleaned() throws {
        let yaml = "name: x\nversion: 1.0.0\ndescription: \"a\\tb\\nc\\u0007d\"\nannotations:\n  k: \"a\\tb\"\n"
        let metadata = try ChartMetadata(try #require(try YAMLReader.single(yaml, source: "t")), source: "t")
        #expect(metadata.description == "a b cd")
        #expect(metadata.annotations["k"] == "a\tb")
    }

    @Test(arguments: ["version: 1.0.0\n", "name: x\n", "- a\n"])
    func aChartNeedsNameAndVersion(_ yaml: String) throws {
        let value = try #require(try YAMLReader.single(yaml, source: "t"))
        #expect(throws: FerryArtifactsError.self) { try ChartMetadata(value, source: "t") }
    }
}
