import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 21): archives and layouts as other tools write them import with at most one
/// naming option, and a manifest is pushed only after everything it references, across images.
@Suite(.serialized) struct ForeignArchiveCLITests {
    /// A small OCI layout writer for shapes other tools produce (our own generator; which tool
    /// writes each shape is recorded in formats/oci-layout/SPEC.md).
    struct Layout {
        var blobs: [[UInt8]] = []
        var entries: [String] = []

        /// Adds a blob and returns its descriptor JSON (with `extra` fields inside).
        mutating func add(_ bytes: [UInt8], mediaType: String, extra: String = "") -> String {
            blobs.append(bytes)
            return #"{"mediaType":"\#(mediaType)","digest":"\#(DigestHasher.digest(of: bytes))","size":\#(bytes.count)\#(extra)}"#
        }

        /// An image manifest for `platform` with one layer; returns its descriptor.
        mutating func image(_ platform: (os: String, arch: String), seed: String, platformField: Bool = false) -> String {
            let config = Array(#"{"architecture":"\#(platform.arch)","os":"\#(platform.os)","rootfs":{"type":"layers","diff_ids":[]},"seed":"\#(seed)"}"#.utf8)
            let configDescriptor = add(config, mediaType: "application/vnd.oci.image.config.v1+json")
            let layerDescriptor = add(Array("layer \(seed)".utf8), mediaType: "application/vnd.oci.image.layer.v1.tar")
            let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\#(configDescriptor),"layers":[\#(layerDescriptor)]}"#.utf8)
            let platformJSON = platformField ? #","platform":{"architecture":"\#(platform.arch)","os":"\#(platform.os)"}"# : ""
            return add(manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", extra: platformJSON)
        }

        mutating func index(_ children: [String]) -> String {
            let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(children.joined(separator: ","))]}"#.utf8)
            return add(bytes, mediaType: "application/vnd.oci.image.index.v1+json")
        }

        /// `descriptor` (JSON ending in `}`) as an index.json entry with these annotations.
        mutating func entry(_ descriptor: String, annotations: [String: String]) {
            guard !annotations.isEmpty else { entries.append(descriptor); return }
            let pairs = annotations.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
            entries.append(String(descriptor.dropLast()) + #","annotations":{\#(pairs)}}"#)
        }

        func write(to dir: String, indexJSON: String? = nil) throws {
            try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
            for blob in blobs {
                try Data(blob).write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + DigestHasher.digest(of: blob).hex))
            }
            try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
            let index = indexJSON ?? #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#
            try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/index.json"))
        }
    }

    /// The shape of regclient's test repository: a multi-platform index whose children are also
    /// top-level entries of the layout, in one repository.
    static func nestedLayout(at dir: String) throws -> [String: String] {
        var layout = Layout()
        let amd64 = layout.image(("linux", "amd64"), seed: "amd64", platformField: true)
        let arm64 = layout.image(("linux", "arm64"), seed: "arm64", platformField: true)
        let multi = layout.index([amd64, arm64])
        let outer = layout.index([multi])
        let name = "example.com/team/app"
        var tags: [String: String] = [:]
        for (descriptor, tag) in [(outer, "outer"), (multi, "multi"), (amd64, "amd64"), (arm64, "arm64")] {
            layout.entry(descriptor, annotations: ["io.containerd.image.name": "\(name):\(tag)", "org.opencontainers.image.ref.name": tag])
            tags[tag] = String(descriptor.split(separator: "\"")[7])
        }
        try layout.write(to: dir)
        return tags
    }

    /// Item 1: 50 consecutive imports at `--jobs 8` of a layout whose index children are also
    /// top-level entries, each into a new repository of one registry, all pass, and every tag
    /// has its digest. Before, runs from about the 35th on failed with DIGEST_INVALID (the real
    /// error, MANIFEST_BLOB_UNKNOWN, unshown): the registry answered HEAD for a child it held
    /// only in an earlier repository, and the index went up without it.
    @Test func indexIsNeverPushedBeforeItsChild() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = NSTemporaryDirectory() + "ferry-nested-race-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tags = try Self.nestedLayout(at: dir + "/layout")
        for run in 0..<50 {
            let imported = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/run\(run)", "--jobs", "8", "-q"], directory: dir)
            #expect(imported.status == 0, "run \(run): \(imported.stderr)")
            if imported.status != 0 { break }
        }
        for (tag, digest) in tags {
            let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/run49/team/app:\(tag)"])
            #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8)) == digest, "\(tag)")
        }
    }

    /// Item 2: Docker 25.0.0/25.0.1's save of an untagged image (`"manifests": null`,
    /// `"RepoTags": null`) verifies and imports through manifest.json with one `--name`; ferry
    /// stopped with "index.json is not an OCI index" before.
    @Test func docker25UntaggedSaveImportsThroughTheDockerSide() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = NSTemporaryDirectory() + "ferry-docker25-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digests = try ForeignShapes.write("docker25-untagged", to: dir + "/untagged.tar")
        let verify = try CLITests.ferry(["verify", "untagged.tar"], directory: dir)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let unnamed = try CLITests.ferry(["import", "untagged.tar", "--to", "\(registry.host)/d25"], directory: dir)
        #expect(unnamed.status == 65 && unnamed.stderr.contains("manifest.json[0]") && unnamed.stderr.contains("--name"), "\(unnamed.stderr)")
        let imported = try CLITests.ferry(["import", "untagged.tar", "--to", "\(registry.host)/d25", "--name", "example.com/team/untagged:1", "-q"],
                                          directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        let config = try Tool.run("/usr/bin/skopeo", ["inspect", "--config", "--raw", "--tls-verify=false", "docker://\(registry.host)/d25/team/untagged:1"])
        #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(config.utf8)) == digests["config"])
    }

    /// Item 4: a layout whose entries carry only a tag (Docker 25+, containerd, BuildKit,
    /// regclient) or no name at all (crane) imports with one `--repository`; without it, the
    /// error names the option (before: "no images given (pass references or -f FILE)").
    @Test func tagOnlyAndNamelessLayoutsImportWithOneRepositoryOption() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = NSTemporaryDirectory() + "ferry-tag-only-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var layout = Layout()
        let amd64 = layout.image(("linux", "amd64"), seed: "t-amd64", platformField: true)
        let arm64 = layout.image(("linux", "arm64"), seed: "t-arm64", platformField: true)
        let multi = layout.index([amd64, arm64])
        let nameless = layout.image(("linux", "amd64"), seed: "crane")
        layout.entry(multi, annotations: ["org.opencontainers.image.ref.name": "2.0"])
        layout.entry(amd64, annotations: ["org.opencontainers.image.ref.name": "2.0-amd64"])
        layout.entry(nameless, annotations: [:])
        try layout.write(to: dir + "/layout")
        func digest(_ descriptor: String) -> String { String(descriptor.split(separator: "\"")[7]) }

        let without = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/m"], directory: dir)
        #expect(without.status == 65 && without.stderr.contains("--repository"), "\(without.stderr)")
        let imported = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/m", "--repository", "team/app", "-q"], directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        for (reference, descriptor) in [("team/app:2.0", multi), ("team/app:2.0-amd64", amd64), ("team/app@\(digest(nameless))", nameless)] {
            let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/m/\(reference)"])
            #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8)) == digest(descriptor), "\(reference)")
        }
    }

    /// Item 3: Docker with the containerd image store saves an image's whole multi-platform
    /// index with the blobs of only the platforms it has. Import pushes what is there and never
    /// the sparse index: one platform goes under the tag as itself (digest kept), several as a
    /// new index (annotated with the original digest), `--platform` picks; what was left out is
    /// said.
    @Test func sparseIndexImportsThePlatformsPresent() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = NSTemporaryDirectory() + "ferry-sparse-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func digest(_ descriptor: String) -> String { String(descriptor.split(separator: "\"")[7]) }
        func raw(_ reference: String) throws -> String {
            try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/\(reference)"])
        }
        // Present: amd64 and arm64; absent (descriptors only): arm/v7 and 386.
        var layout = Layout()
        let amd64 = layout.image(("linux", "amd64"), seed: "s-amd64", platformField: true)
        let arm64 = layout.image(("linux", "arm64"), seed: "s-arm64", platformField: true)
        var elsewhere = Layout()
        let arm = elsewhere.image(("linux", "arm"), seed: "s-arm", platformField: true)
        let i386 = elsewhere.image(("linux", "386"), seed: "s-386", platformField: true)
        let full = layout.index([amd64, arm64, arm, i386])
        layout.entry(full, annotations: ["io.containerd.image.name": "docker.io/library/app:1", "org.opencontainers.image.ref.name": "1"])
        try layout.write(to: dir + "/two")
        var single = layout
        single.blobs.removeAll { blob in String(decoding: blob, as: UTF8.self).contains("s-arm64") }
        single.blobs.removeAll { DigestHasher.digest(of: $0).description == digest(arm64) }
        try single.write(to: dir + "/one")

        // Verify: what is present checks out; the absent platforms are a note, not damage.
        let verify = try CLITests.ferry(["verify", "one"], directory: dir)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("partial by construction") && verify.stdout.contains("linux/386"), "\(verify.stdout)")
        let one = try CLITests.ferry(["import", "one", "--to", "\(registry.host)/one"], directory: dir)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr.contains("1 of the index's 4 platforms") && one.stderr.contains("left out"), "\(one.stderr)")
        #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(try raw("one/library/app:1").utf8)) == digest(amd64))

        let two = try CLITests.ferry(["import", "two", "--to", "\(registry.host)/two"], directory: dir)
        #expect(two.status == 0, "\(two.stderr)")
        let index = try raw("two/library/app:1")
        #expect(index.contains(digest(amd64)) && index.contains(digest(arm64)) && !index.contains(digest(arm)), "\(index)")
        #expect(index.contains("dev.ferry.source-index-digest") && index.contains(digest(full)), "\(index)")

        let picked = try CLITests.ferry(["import", "two", "--to", "\(registry.host)/picked", "--platform", "linux/arm64"], directory: dir)
        #expect(picked.status == 0, "\(picked.stderr)")
        #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(try raw("picked/library/app:1").utf8)) == digest(arm64))
        let none = try CLITests.ferry(["import", "two", "--to", "\(registry.host)/none", "--platform", "linux/s390x"], directory: dir)
        #expect(none.status == 65 && none.stderr.contains("--platform chose none"), "\(none.stderr)")
    }

    /// Item 5: one manifest reached by two entries, one with the right media type and one with
    /// a wrong one. Verify blames only the entry whose descriptor disagrees with the bytes (it
    /// blamed both), and import agrees: it refuses that entry and imports the other alone.
    @Test func onlyTheWrongDescriptorIsBlamed() async throws {
        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let dir = NSTemporaryDirectory() + "ferry-wrong-type-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var layout = Layout()
        let manifest = layout.image(("linux", "amd64"), seed: "typed")
        layout.entry(manifest, annotations: ["io.containerd.image.name": "example.com/team/right:1"])
        let wrong = manifest.replacingOccurrences(of: "application/vnd.oci.image.manifest.v1+json",
                                                  with: "application/vnd.docker.distribution.manifest.v2+json")
        layout.entry(wrong, annotations: ["io.containerd.image.name": "example.com/team/wrong:1"])
        try layout.write(to: dir + "/layout")

        let verify = try CLITests.ferry(["verify", "layout", "--format", "json"], directory: dir)
        #expect(verify.status == 76, "\(verify.stdout)\(verify.stderr)")
        struct Report: Decodable { struct Image: Decodable { var name: String; var status: String }; var images: [Image] }
        let report = try JSONDecoder().decode(Report.self, from: Data(verify.stdout.utf8))
        let status = Dictionary(report.images.map { ($0.name, $0.status) }, uniquingKeysWith: { a, _ in a })
        #expect(status["example.com/team/right:1"] == "ok", "\(status)")
        #expect(status["example.com/team/wrong:1"] != "ok", "\(status)")

        let all = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/typed"], directory: dir)
        #expect(all.status != 0 && all.stderr.contains("wrong"), "\(all.stderr)")
        let right = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/typed", "--include", "*/right:1", "-q"], directory: dir)
        #expect(right.status == 0, "\(right.stderr)")
    }
}
