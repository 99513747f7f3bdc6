public import FerryCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A file as an OCI artifact, laid out as `oras push` (oras-go v2, image-spec 1.1) lays it out
/// so `oras pull` writes it back: an empty config (`application/vnd.oci.empty.v1+json`, `{}`),
/// one `application/vnd.oci.image.layer.v1.tar` layer holding the file's bytes unchanged, titled
/// with its name, and artifactType `application/vnd.unknown.artifact.v1`. ferry adds the file's
/// permission bits (`dev.ferry.file.mode`, octal), which ORAS does not keep, and leaves out
/// oras's `created` annotation: the same file gives the same digest on every export.
public struct FileArtifact: Sendable {
    public static let artifactType = "application/vnd.unknown.artifact.v1"
    public static let emptyConfigType: MediaType = "application/vnd.oci.empty.v1+json"
    public static let emptyConfig: [UInt8] = Array("{}".utf8)
    public static let titleKey = "org.opencontainers.image.title"
    public static let modeKey = "dev.ferry.file.mode"

    public static let unpackKey = "io.deis.oras.content.unpack"
    public static let tarDigestKey = "io.deis.oras.content.digest"

    public let request: FileRequest
    public let layer: Descriptor
    public let manifest: [UInt8]
    public let digest: Digest
    /// Where the layer's bytes are: the file itself, or a directory's packed tar+gzip.
    public let contentPath: String

    public static var emptyConfigDescriptor: Descriptor {
        Descriptor(mediaType: emptyConfigType, digest: DigestHasher.digest(of: emptyConfig), size: Int64(emptyConfig.count))
    }

    /// Hashes the file (streaming) and builds its manifest. A directory is packed first, as a
    /// tar+gzip in `scratch` (`DirectoryPacker`). Refuses anything else.
    public static func prepare(_ request: FileRequest, scratch: String) throws -> FileArtifact {
        var status = stat()
        guard stat(request.path, &status) == 0 else {
            throw FerryArtifactsError.file(request.path, reason: String(cString: strerror(errno)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            try FileSystem.makeDirectories(scratch)
            let packed = scratch + "/" + DigestHasher.digest(of: Array(request.path.utf8)).hex + ".tar.gz"
            let result = try DirectoryPacker.pack(request.path, title: request.title, into: packed)
            let layer = Descriptor(mediaType: .ociLayerGzip, digest: result.digest, size: result.size,
                                   annotations: [titleKey: request.title, unpackKey: "true", tarDigestKey: result.tarDigest.description])
            return FileArtifact(request: request, layer: layer, contentPath: packed)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FerryArtifactsError.file(request.path, reason: "not a regular file or directory")
        }
        let file = try PositionalFile(path: request.path, flags: O_RDONLY)
        defer { try? file.close() }
        var hasher = DigestHasher()
        let size = try file.forEachChunk { hasher.update($0) }
        let mode = String(status.st_mode & 0o7777, radix: 8)
        let layer = Descriptor(mediaType: .ociLayer, digest: hasher.finalize(), size: size,
                               annotations: [titleKey: request.title, modeKey: String(repeating: "0", count: max(0, 4 - mode.count)) + mode])
        return FileArtifact(request: request, layer: layer, contentPath: request.path)
    }

    init(request: FileRequest, layer: Descriptor, contentPath: String) {
        self.request = request
        self.layer = layer
        self.contentPath = contentPath
        let config = Self.emptyConfigDescriptor
        let configJSON = GoJSON.object([("mediaType", .string(config.mediaType.rawValue)), ("digest", .string(config.digest.description)),
                                        ("size", .int(config.size)), ("data", .string("e30="))])
        let layerJSON = GoJSON.object([("mediaType", .string(layer.mediaType.rawValue)), ("digest", .string(layer.digest.description)),
                                       ("size", .int(layer.size)), ("annotations", .map((layer.annotations ?? [:]).mapValues(GoJSON.string)))])
        manifest = GoJSON.object([("schemaVersion", .int(2)), ("mediaType", .string(MediaType.ociManifest.rawValue)),
                                  ("artifactType", .string(Self.artifactType)), ("config", configJSON),
                                  ("layers", .array([layerJSON]))]).encoded()
        digest = DigestHasher.digest(of: manifest)
    }
}
