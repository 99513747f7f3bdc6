import FerryArchive
import FerryCore
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (formats/README.md): every example file decodes as the format it illustrates.
@Suite struct FormatExamplesTests {
    struct DockerEntry: Decodable { var Config: String; var RepoTags: [String]; var Layers: [String] }

    @Test func ociLayoutMarker() throws {
        struct Marker: Decodable { var imageLayoutVersion: String }
        let marker = try JSONDecoder().decode(Marker.self, from: Data(try Fixtures.bytes("oci-layout/examples/oci-layout")))
        #expect(marker.imageLayoutVersion == "1.0.0")
    }

    @Test func dockerArchiveExamples() throws {
        let manifest = try JSONDecoder().decode([DockerEntry].self, from: Data(try Fixtures.bytes("docker-archive/examples/manifest.json")))
        #expect(!manifest.isEmpty)
        #expect(manifest.allSatisfy { $0.Config.hasPrefix("blobs/sha256/") && $0.Layers.allSatisfy { $0.hasPrefix("blobs/sha256/") } })
        let repositories = try JSONDecoder().decode([String: [String: String]].self,
                                                    from: Data(try Fixtures.bytes("docker-archive/examples/repositories")))
        let configs = Set(manifest.map { String($0.Config.dropFirst("blobs/sha256/".count)) })
        #expect(repositories.values.flatMap(\.values).allSatisfy(configs.contains))
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(try Fixtures.bytes("docker-archive/examples/index.json")))
        #expect(!index.manifests.isEmpty)
    }

    /// skopeo's docker-archive: legacy layout with symlinked layer.tar members.
    @Test func skopeoDockerArchiveReads() throws {
        let path = Fixtures.url("docker-archive/examples/skopeo-docker-archive.tar").path
        let scanned = try TarScanner(file: PositionalFile(path: path, flags: O_RDONLY)).scan()
        let names = scanned.members.map(\.name)
        #expect(names.contains("manifest.json"))
        let links = scanned.members.filter { $0.kind == .symlink }
        #expect(!links.isEmpty)
        for link in links {
            // Each link resolves, inside the archive, to a member that exists.
            let directory = link.name.split(separator: "/").dropLast().joined(separator: "/")
            let target = try #require(link.linkTarget)
            let resolved = target.hasPrefix("../") ? String(target.dropFirst(3)) : directory + "/" + target
            #expect(try MemberName.normalise(resolved).map(names.contains) == true, "\(link.name) → \(target)")
        }
        let reader = try ArchiveReader(path: path)
        var manifestBytes: [UInt8] = []
        while let entry = try reader.next() {
            if entry.name == "manifest.json" { manifestBytes = try reader.readAll(limit: 1 << 20) }
        }
        let manifest = try JSONDecoder().decode([DockerEntry].self, from: Data(manifestBytes))
        #expect(manifest.count == 1)
    }

    /// The loose copies of the bundle's metadata equal the members inside bundle.tar.
    @Test(arguments: ["index.json", "manifest.json", "repositories", "ferry-index.json"])
    func bundleMembersMatchLooseExamples(_ name: String) throws {
        let reader = try ArchiveReader(path: Fixtures.url("ferry-bundle/examples/bundle.tar").path)
        var member: [UInt8]?
        while member == nil, let entry = try reader.next() {
            if entry.name == name { member = try reader.readAll(limit: 1 << 20) }
        }
        #expect(member == (try Fixtures.bytes("ferry-bundle/examples/\(name)")))
    }
}
