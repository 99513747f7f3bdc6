import FerryCore
import FerryRegistry
import Foundation

extension RegistryPublisher {
    /// Keeps the OCI 1.1 "referrers tag schema" on registries without the referrers API: for
    /// every pushed manifest that names a `subject`, the index tagged `sha256-<hex of subject>`
    /// in the same repository must list it (distribution-spec v1.1, pushing manifests with a
    /// subject). A registry with the API indexes such manifests itself, and one found in the
    /// fallback index already is left alone, so a rerun changes nothing.
    func linkReferrers(_ images: [PublishImage], registry: String) async throws {
        for image in images {
            guard let root = image.manifests.last, root.descriptor.mediaType.isImageManifest,
                  case .image(let manifest) = try ParsedManifest.parse(root.bytes, mediaType: root.descriptor.mediaType,
                                                                       digest: root.descriptor.digest),
                  let subject = manifest.subject else { continue }
            let repository = image.destination.repository
            do {
                if try await client.referrers(registry: registry, repository: repository, digest: subject.digest) != nil { continue }
                let tag = "\(subject.digest.algorithm.rawValue)-\(subject.digest.hex)"
                var index = ImageIndex(schemaVersion: 2, mediaType: .ociIndex, manifests: [])
                do {
                    let existing = try await client.fetchManifest(ImageReference(registry: registry, repository: repository, tag: tag, digest: nil))
                    if case .index(let found) = try existing.parse() { index = found }
                } catch RegistryError.manifestNotFound {
                    // First referrer of this subject: a new index.
                }
                guard !index.manifests.contains(where: { $0.digest == root.descriptor.digest }) else { continue }
                var entry = Descriptor(mediaType: root.descriptor.mediaType, digest: root.descriptor.digest, size: root.descriptor.size)
                entry.artifactType = manifest.artifactType ?? manifest.config.mediaType.rawValue
                entry.annotations = manifest.annotations
                index.manifests.append(entry)
                let bytes = try CanonicalJSON.encode(index)
                try await client.putManifest(registry: registry, repository: repository, reference: tag, bytes: bytes,
                                             mediaType: .ociIndex, digest: DigestHasher.digest(of: bytes))
            } catch {
                throw FerryTransferError.image(image.destination.description, doing: "listing it in the referrers fallback tag", underlying: error)
            }
        }
    }
}
