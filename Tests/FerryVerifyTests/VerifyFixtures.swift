import FerryArchive
import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Two small images that share a base layer, written by hand (no registry, no ferry writer) as a
/// ferry bundle, a foreign oci-archive or an OCI layout directory, so each integrity rule of
/// `ferry verify` can be broken on purpose. Image A is OCI-typed, image B Docker-typed: the shared
/// base layer is reached first through A, so the content index must carry A's media type for it.
struct VerifyImages {
    struct Blob {
        let bytes: [UInt8]
        let mediaType: MediaType
        var digest: Digest { DigestHasher.digest(of: bytes) }
        var path: String { digest.layoutPath }
        var size: Int { bytes.count }
        var descriptorJSON: String { #"{"digest":"\#(digest)","mediaType":"\#(mediaType)","size":\#(size)}"# }
    }

    static let nameA = "example.com/team/app-a:1"
    static let nameB = "docker.io/team/app-b:2"

    let base = Blob(bytes: Self.pattern("shared base layer ", count: 3000), mediaType: .ociLayerGzip)
    let layerA = Blob(bytes: Self.pattern("layer of image a ", count: 1500), mediaType: .ociLayerGzip)
    let layerB = Blob(bytes: Self.pattern("layer of image b ", count: 700), mediaType: .dockerLayerGzip)
    let configA = Blob(bytes: Array(#"{"architecture":"amd64","config":{"Env":["APP=a"]},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}}"#.utf8), mediaType: .ociConfig)
    let configB = Blob(bytes: Array(#"{"architecture":"arm64","config":{"Env":["APP=b"]},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}}"#.utf8), mediaType: .dockerConfig)

    var baseAsDocker: Blob { Blob(bytes: base.bytes, mediaType: .dockerLayerGzip) }

    var manifestA: Blob {
        Blob(bytes: Array(#"{"config":\#(configA.descriptorJSON),"layers":[\#(base.descriptorJSON),\#(layerA.descriptorJSON)],"mediaType":"\#(MediaType.ociManifest)","schemaVersion":2}"#.utf8),
             mediaType: .ociManifest)
    }

    var manifestB: Blob {
        Blob(bytes: Array(#"{"config":\#(configB.descriptorJSON),"layers":[\#(baseAsDocker.descriptorJSON),\#(layerB.descriptorJSON)],"mediaType":"\#(MediaType.dockerManifest)","schemaVersion":2}"#.utf8),
             mediaType: .dockerManifest)
    }

    /// Manifests, then configs, then layers (ferry-bundle SPEC.md rule 1.2).
    var blobs: [Blob] { [manifestA, manifestB, configA, configB, base, layerA, layerB] }

    static func entry(_ blob: Blob, name: String) -> String {
        #"{"annotations":{"io.containerd.image.name":"\#(name)","org.opencontainers.image.ref.name":"\#(name)"},"digest":"\#(blob.digest)","mediaType":"\#(blob.mediaType)","size":\#(blob.size)}"#
    }

    var indexJSON: [UInt8] {
        Array(#"{"manifests":[\#(Self.entry(manifestA, name: Self.nameA)),\#(Self.entry(manifestB, name: Self.nameB))],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}"#.utf8)
    }

    func manifestJSON(configOfA: String? = nil) -> [UInt8] {
        let a = #"{"Config":"\#(configOfA ?? configA.path)","Layers":["\#(base.path)","\#(layerA.path)"],"RepoTags":["example.com/team/app-a:1"]}"#
        let b = #"{"Config":"\#(configB.path)","Layers":["\#(base.path)","\#(layerB.path)"],"RepoTags":["team/app-b:2"]}"#
        return Array("[\(a),\(b)]".utf8)
    }

    var repositories: [UInt8] {
        Array(#"{"example.com/team/app-a":{"1":"\#(configA.digest.hex)"},"team/app-b":{"2":"\#(configB.digest.hex)"}}"#.utf8)
    }

    static let ociLayout = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    static func pattern(_ text: String, count: Int) -> [UInt8] {
        Array(String(repeating: text, count: count / text.utf8.count + 1).utf8.prefix(count))
    }
}

/// `ferry-index.json` as the spec writes it (SPEC.md 6.1), built independently of ferry's own
/// `ContentIndex` so the tests check the format, not the implementation against itself.
struct TestContentIndex: Encodable {
    struct Tool: Encodable { var name = "ferry"; var version = "0.1.0" }
    struct Image: Encodable {
        var source: String
        var name: String
        var digest: String
        var mediaType: String
        var size: Int
        var platforms: [String]
    }
    struct Blob: Encodable {
        var digest: String
        var size: Int64
        var mediaType: String
        var offset: Int64
    }

    var schemaVersion = 1
    var mediaType = "application/vnd.ferry.bundle.index.v1+json"
    var tool = Tool()
    var created = "2026-01-01T00:00:00Z"
    var images: [Image]
    var blobs: [Blob]

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// Writes tars member by member with ferry's header encoder and positional writes, the way
/// `hostileArchivesAreRefusedBeforeSending` builds hostile archives.
enum TestTar {
    /// One member: a name ending in `/` is a directory.
    typealias Member = (name: String, bytes: [UInt8])

    /// The planned layout of `members` (every slot, duplicates included).
    static func layout(_ members: [Member]) throws -> TarLayout {
        var layout = TarLayout()
        for member in members {
            let directory = member.name.hasSuffix("/")
            try layout.append(TarMember(name: member.name, size: directory ? 0 : Int64(member.bytes.count),
                                        kind: directory ? .directory : .file))
        }
        return layout
    }

    /// Writes `members`, the end-of-archive marker, then `trailing` bytes; returns the layout.
    @discardableResult
    static func write(_ members: [Member], to path: String, trailing: [UInt8] = []) throws -> TarLayout {
        let layout = try layout(members)
        let file = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        for (slot, member) in zip(layout.slots, members) {
            try file.write(slot.header, at: slot.headerOffset)
            if slot.member.kind == .file { try file.write(member.bytes, at: slot.dataOffset) }
        }
        try file.write(TarHeader.endOfArchive, at: layout.endOfMembers)
        if !trailing.isEmpty { try file.write(trailing, at: layout.totalSize) }
        try file.close()
        return layout
    }

    /// A ferry bundle (members in rule 1.1 order) holding `blobMembers` (default: every blob of
    /// `images`), whose content index rows are computed from the tar as written, then passed
    /// through `adjust`. The rows' offsets depend on the length of the content index, so it is
    /// re-encoded until that length is stable (rule 6.4).
    static func bundle(_ images: VerifyImages, blobMembers: [Member]? = nil, manifestJSON: [UInt8]? = nil,
                       extra: [Member] = [], adjust: (inout TestContentIndex) -> Void = { _ in }) throws -> [Member] {
        let blobs = blobMembers ?? images.blobs.map { (name: $0.path, bytes: $0.bytes) }
        let mediaTypes = Dictionary(images.blobs.map { ($0.path, $0.mediaType) }, uniquingKeysWith: { first, _ in first })
        var contentIndex: [UInt8] = []
        while true {
            let members: [Member] = [("oci-layout", VerifyImages.ociLayout), ("index.json", images.indexJSON),
                                     ("manifest.json", manifestJSON ?? images.manifestJSON()), ("repositories", images.repositories),
                                     ("ferry-index.json", contentIndex), ("blobs/", []), ("blobs/sha256/", [])]
                + blobs + extra
            let slots = try layout(members).slots
            var seen = Set<String>()
            var rows: [TestContentIndex.Blob] = []
            for (slot, blob) in zip(slots.dropFirst(7), blobs) where seen.insert(blob.name).inserted {
                rows.append(.init(digest: "sha256:" + blob.name.dropFirst("blobs/sha256/".count), size: Int64(blob.bytes.count),
                                  mediaType: mediaTypes[blob.name]?.rawValue ?? "application/octet-stream", offset: slot.dataOffset))
            }
            var index = TestContentIndex(images: [
                .init(source: VerifyImages.nameA, name: VerifyImages.nameA, digest: images.manifestA.digest.description,
                      mediaType: MediaType.ociManifest.rawValue, size: images.manifestA.size, platforms: ["linux/amd64"]),
                .init(source: VerifyImages.nameB, name: VerifyImages.nameB, digest: images.manifestB.digest.description,
                      mediaType: MediaType.dockerManifest.rawValue, size: images.manifestB.size, platforms: ["linux/arm64"]),
            ], blobs: rows)
            adjust(&index)
            let encoded = try index.encoded()
            if encoded.count == contentIndex.count {
                var final = members
                final[4] = ("ferry-index.json", encoded)
                return final
            }
            contentIndex = encoded
        }
    }

    /// A foreign OCI archive (skopeo, regctl): `oci-layout`, `index.json` and the blobs, no
    /// directory members; with `manifestJSON`, a Docker 25+ `docker save`.
    static func foreign(_ images: VerifyImages, index: [UInt8]? = nil, blobs: [VerifyImages.Blob]? = nil,
                        manifestJSON: [UInt8]? = nil) -> [Member] {
        var members: [Member] = [("oci-layout", VerifyImages.ociLayout), ("index.json", index ?? images.indexJSON)]
        if let manifestJSON { members.append(("manifest.json", manifestJSON)) }
        return members + (blobs ?? images.blobs).map { (name: $0.path, bytes: $0.bytes) }
    }
}

extension PositionalFile {
    /// Inverts one byte in place (test damage).
    func flipByte(at offset: Int64) throws {
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        byte[0] ^= 0xff
        try write(byte, at: offset)
    }
}
