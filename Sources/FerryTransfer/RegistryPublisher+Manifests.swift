import FerryCore
import FerryRegistry

extension RegistryPublisher {
    /// Child manifests by digest, then the entry by digest, then its tag; each skipped when the
    /// registry already has it (HEAD), so a second run pushes nothing.
    func pushManifests(_ images: [PublishImage], registry: String, jobs: Int,
                       keepGoing: Bool) async throws -> (manifests: Int, tags: Int, failed: [PublishOutcome.Failure]) {
        var manifests = 0, tags = 0
        var failed: [PublishOutcome.Failure] = []
        let pushes = ManifestPushes()
        try await TaskWindow.run(images, width: jobs, { image -> (Int, Int, PublishOutcome.Failure?) in
            do {
                let (m, t) = try await pushManifests(of: image, registry: registry, pushes: pushes)
                return (m, t, nil)
            } catch where keepGoing && !(error is CancellationError) {
                return (0, 0, .init(image: image.destination.description, error: error))
            }
        }, collect: { m, t, failure in
            manifests += m
            tags += t
            if let failure { failed.append(failure) }
        })
        return (manifests, tags, failed)
    }

    private func pushManifests(of image: PublishImage, registry: String, pushes: ManifestPushes) async throws -> (Int, Int) {
        let repository = image.destination.repository
        var pushed = 0
        let client = self.client
        /// Puts `stored` under `reference`. distribution can answer a HEAD for a manifest it holds
        /// only in another repository (seen after a few dozen imports of the same manifests into
        /// new repositories), so a manifest ferry skipped may be missing here and an index that
        /// names it is refused with 400 (DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN). Then `needed`
        /// is put by digest without asking, and `stored` once more (issue 21, item 1).
        @Sendable func put(_ stored: StoredManifest, as reference: String, needed: ArraySlice<StoredManifest>) async throws {
            func send(_ manifest: StoredManifest, as reference: String) async throws {
                try await client.putManifest(registry: registry, repository: repository, reference: reference,
                                             bytes: manifest.bytes, mediaType: manifest.descriptor.mediaType, digest: manifest.descriptor.digest)
            }
            do {
                try await send(stored, as: reference)
            } catch let error as RegistryError where stored.descriptor.mediaType.isIndex && error.isBadRequest {
                for manifest in needed { try await send(manifest, as: manifest.descriptor.digest.description) }
                try await send(stored, as: reference)
            }
        }
        do {
            for (position, manifest) in image.manifests.enumerated() {
                let digest = manifest.descriptor.digest
                let sent = try await pushes.once(repository: repository, digest: digest) {
                    if try await client.manifestDigest(registry: registry, repository: repository, reference: digest.description) == digest {
                        return false
                    }
                    try await put(manifest, as: digest.description, needed: image.manifests[..<position])
                    return true
                }
                if sent { pushed += 1 }
            }
            guard let tag = image.destination.tag, let root = image.manifests.last else { return (pushed, 0) }
            if try await client.manifestDigest(registry: registry, repository: repository, reference: tag) == root.descriptor.digest {
                return (pushed, 0)
            }
            // The same HEAD answer can have skipped the index itself: the tag needs every manifest.
            try await put(root, as: tag, needed: image.manifests[...])
            progress(.imageCompleted(image: image.destination.description))
            return (pushed, 1)
        } catch {
            throw FerryTransferError.image(image.destination.description, doing: "pushing manifests", underlying: error)
        }
    }
}
