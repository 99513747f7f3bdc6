import FerryCore

extension MigrationPlan {
    /// The plan's own spread over its shards, and the naive split by repository-name hash
    /// beside it: what `ferry plan` prints, and `ferry inspect PLAN` again from the file.
    public func figures() -> (spread: SpreadFigures, repositoryHash: SpreadFigures) {
        var index: [Digest: Int] = [:]
        for (position, blob) in blobs.enumerated() { index[blob.digest] = position }
        let sizes = blobs.map(\.size)
        let members = images.map { image in (shard: image.shard, blobs: image.blobs.compactMap { index[$0] }) }
        let naive = images.map { image in
            (shard: SpreadFigures.repositoryHash(Self.repository(of: image.reference), count: shards.count),
             blobs: image.blobs.compactMap { index[$0] })
        }
        return (SpreadFigures(members: members, sizes: sizes, count: shards.count),
                SpreadFigures(members: naive, sizes: sizes, count: shards.count))
    }

    /// `registry/repository` of a reference the plan holds. Those are normalised references,
    /// which always parse; the text itself stands in if one ever did not.
    public static func repository(of reference: String) -> String {
        guard let parsed = try? ImageReference(parsing: reference) else { return reference }
        return parsed.name
    }
}
