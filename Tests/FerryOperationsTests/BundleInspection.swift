import FerryArchive
import FerryCore
import FerryFormat
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reads a written bundle back with ferry's scanner and libarchive, and checks every rule that
/// does not depend on the test: each blob hashes to its name, the content index agrees with
/// the tar, index.json and manifest.json only point at present blobs.
struct BundleInspection {
    let path: String
    let members: [ScannedTarMember]
    let contentIndex: ContentIndex
    let contentIndexBytes: [UInt8]
    let index: ImageIndex
    let dockerManifest: [DockerEntry]
    let blobDigests: Set<String>

    struct DockerEntry: Decodable { var Config: String; var RepoTags: [String]; var Layers: [String] }

    init(path: String) throws {
        self.path = path
        let file = try PositionalFile(path: path, flags: O_RDONLY)
        let scanned = try TarScanner(file: file).scan()
        #expect(!scanned.trailingGarbage)
        let members = scanned.members
        self.members = members
        let names = members.map(\.name)
        // The signature member follows the content index in signed bundles only.
        #expect(Array(names.filter { $0 != BundleSignature.memberName }.prefix(7))
                == ["oci-layout", "index.json", "manifest.json", "repositories", "ferry-index.json", "blobs/", "blobs/sha256/"])
        if let signature = names.firstIndex(of: BundleSignature.memberName) { #expect(signature == 5) }
        #expect(Set(names).count == names.count, "duplicate members")

        func read(_ member: ScannedTarMember) throws -> [UInt8] {
            var data = [UInt8](repeating: 0, count: Int(member.size))
            var done = 0
            while done < data.count {
                let n = try data.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[done...]), at: member.dataOffset + Int64(done)) }
                guard n > 0 else { break }
                done += n
            }
            return data
        }
        func member(_ name: String) throws -> [UInt8] {
            guard let found = members.first(where: { $0.name == name }) else { throw InspectionError("no member \(name)") }
            return try read(found)
        }
        let contentIndexBytes = try member("ferry-index.json")
        let contentIndex = try ContentIndex.decode(contentIndexBytes)
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(try member("index.json")))
        let dockerManifest = try JSONDecoder().decode([DockerEntry].self, from: Data(try member("manifest.json")))
        self.contentIndexBytes = contentIndexBytes
        self.contentIndex = contentIndex
        self.index = index
        self.dockerManifest = dockerManifest

        var digests = Set<String>()
        for blobMember in members where blobMember.name.hasPrefix("blobs/sha256/") && blobMember.kind == .file {
            let hex = String(blobMember.name.dropFirst("blobs/sha256/".count))
            let data = try read(blobMember)
            #expect(DigestHasher.digest(of: data).hex == hex, "blob \(hex) does not hash to its name")
            digests.insert("sha256:\(hex)")
        }
        self.blobDigests = digests
        // Content index: one row per blob member, offsets and sizes exact.
        #expect(contentIndex.blobs.count == digests.count)
        for blob in contentIndex.blobs {
            let found = members.first { $0.name == blob.digest.layoutPath }
            #expect(found?.dataOffset == blob.offset, "offset of \(blob.digest)")
            #expect(found?.size == blob.size)
        }
        #expect(contentIndex.images.map(\.digest) == index.manifests.map(\.digest))
        // Closure: everything index.json and manifest.json reference is present.
        for entry in index.manifests { #expect(digests.contains(entry.digest.description)) }
        for entry in dockerManifest {
            #expect(digests.contains("sha256:" + entry.Config.dropFirst("blobs/sha256/".count)))
            for layer in entry.Layers { #expect(digests.contains("sha256:" + layer.dropFirst("blobs/sha256/".count))) }
        }
        // libarchive agrees it is a well-formed tar.
        let reader = try ArchiveReader(path: path)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == members.count)
    }

    func entry(named name: String) -> Descriptor? {
        index.manifests.first { $0.annotations?[AnnotationKey.refName] == name }
    }
}

struct InspectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
