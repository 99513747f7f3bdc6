import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 15): a small hostile bundle cannot make import or inspect do unbounded work.
@Suite(.serialized) struct HostileBundleCLITests {
    /// An OCI layout directory with the given blobs and one index.json entry.
    static func layout(at dir: String, blobs: [[UInt8]], entry: (digest: Digest, mediaType: String, size: Int), name: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        for blob in blobs {
            try Data(blob).write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + DigestHasher.digest(of: blob).hex))
        }
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
        let index = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"\#(entry.mediaType)","digest":"\#(entry.digest)","size":\#(entry.size),"annotations":{"io.containerd.image.name":"\#(name)","org.opencontainers.image.ref.name":"1"}}]}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }

    /// Item 4: five nested indexes, each listing its child 60 times, a 50 KB input. Walking every
    /// path is 60^5 manifest reads; each (digest, media type) must be walked once. Before the
    /// fix, inspect and import ran for hours; here each command gets 30 s.
    @Test func nestedRepeatedIndexesAreWalkedOnce() async throws {
        let dir = NSTemporaryDirectory() + "ferry-nested-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(DigestHasher.digest(of: config))","size":\#(config.count)},"layers":[]}"#.utf8)
        var blobs = [config, manifest]
        var child = (digest: DigestHasher.digest(of: manifest), mediaType: "application/vnd.oci.image.manifest.v1+json", size: manifest.count)
        for _ in 0..<5 {
            let entry = #"{"mediaType":"\#(child.mediaType)","digest":"\#(child.digest)","size":\#(child.size),"platform":{"architecture":"amd64","os":"linux"}}"#
            let index = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(Array(repeating: entry, count: 60).joined(separator: ","))]}"#.utf8)
            blobs.append(index)
            child = (DigestHasher.digest(of: index), "application/vnd.oci.image.index.v1+json", index.count)
        }
        try Self.layout(at: dir + "/layout", blobs: blobs, entry: child, name: "example.com/nested/app:1")
        #expect(blobs.reduce(0) { $0 + $1.count } < 100_000)

        let registry = try await TestRegistry.start()
        defer { registry.stop() }
        let timeout = ["30", CLITests.binary]
        let inspect = try CLITests.ferry(["inspect", "layout"], directory: dir, executable: "/usr/bin/timeout", prefix: timeout)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let imported = try CLITests.ferry(["import", "layout", "--to", "\(registry.host)/nested", "-q"], directory: dir,
                                          executable: "/usr/bin/timeout", prefix: timeout)
        #expect(imported.status == 0, "\(imported.stderr)")
        let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/nested/nested/app:1"])
        #expect("sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8)) == child.digest.description)
    }
}
