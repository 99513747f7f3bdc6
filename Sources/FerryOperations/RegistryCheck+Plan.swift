import FerryCore
public import FerryPlan

extension RegistryChecker {
    /// `ferry verify --plan PLAN --registry …` (issue 18): the target after every shard was
    /// imported. Each pinned image, named by `destination` as import names it, must be there
    /// whole: every manifest by digest, every config and layer by HEAD, its tag by the hash of
    /// what it names. Attachments are checked under their digest-named or `sha256-…` tags like
    /// any image. The report gives each image's shard, so a missing one says which bundle to
    /// import again.
    public func run(plan: MigrationPlan, planPath: String, destination: DestinationMapper, jobs: Int) async throws -> RegistryCheckReport {
        var sizes: [Digest: Int64] = [:]
        for blob in plan.blobs { sizes[blob.digest] = blob.size }
        var expected: [ExpectedImage] = []
        for image in plan.images {
            let source = try ImageReference(parsing: image.reference)
            let target = try destination.destination(for: source)
            expected.append(ExpectedImage(
                source: image.reference, destination: target, entry: image.entry.digest,
                manifests: image.manifests.map { Descriptor(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) },
                blobs: image.blobs.map { Descriptor(mediaType: Self.anyBlob, digest: $0, size: sizes[$0] ?? 0) },
                shard: image.shard))
        }
        return try await check(expected, input: planPath, unnamed: [], jobs: jobs)
    }

    /// A plan keeps blobs by digest and size only; a HEAD needs nothing more.
    static let anyBlob: MediaType = "application/octet-stream"
}
