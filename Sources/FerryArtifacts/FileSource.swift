public import FerryCore
#if canImport(Glibc)
import Glibc
#endif
public import FerryRegistry

/// An image source that answers for `--file` artifacts and passes every other reference to
/// `inner` (issue 20). The manifest was built when the file was hashed; the layer is read from
/// the file again when the engine asks for it, off the cooperative pool, and the engine checks
/// it against that first hash, so a file changed in between fails the export instead of
/// travelling under a digest it does not have.
public struct FileSource: ImageSource {
    let inner: any ImageSource
    let files: [FileArtifact]

    public init(inner: any ImageSource, files: [FileArtifact]) {
        self.inner = inner
        self.files = files
    }

    func file(named reference: ImageReference) -> [FileArtifact] {
        files.filter { $0.request.reference.name == reference.name }
    }

    public func manifest(_ reference: ImageReference) async throws -> FetchedManifest {
        let candidates = file(named: reference)
        guard !candidates.isEmpty else { return try await inner.manifest(reference) }
        let match = candidates.first { file in
            reference.digest.map { $0 == file.digest } ?? (reference.tag == file.request.reference.tag)
        }
        guard let match else { throw RegistryError.manifestNotFound(repository: reference.name, reference: reference.manifestReference) }
        return FetchedManifest(bytes: match.manifest, mediaType: .ociManifest, digest: match.digest)
    }

    public func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws {
        let candidates = file(named: reference)
        guard !candidates.isEmpty else { return try await inner.blob(reference, descriptor: descriptor, into: target) }
        if target.received > 0 { try target.restart() }
        if descriptor.digest == FileArtifact.emptyConfigDescriptor.digest {
            try FileArtifact.emptyConfig.withUnsafeBytes { try target.write($0) }
            return
        }
        guard let match = candidates.first(where: { $0.layer.digest == descriptor.digest }) else {
            throw RegistryError.blobNotFound(repository: reference.name, digest: descriptor.digest)
        }
        let path = match.contentPath
        try await Blocking.run {
            let file = try PositionalFile(path: path, flags: O_RDONLY)
            defer { try? file.close() }
            try file.forEachChunk { try target.write($0) }
        }
    }

    public func tags(of reference: ImageReference) async throws -> [String] {
        file(named: reference).isEmpty ? try await inner.tags(of: reference) : []
    }

    public func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? {
        file(named: reference).isEmpty ? try await inner.referrers(of: reference, subject: digest) : nil
    }
}
