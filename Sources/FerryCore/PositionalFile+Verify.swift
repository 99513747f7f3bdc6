extension PositionalFile {
    /// Whether the `descriptor.size` bytes at `offset` are exactly the blob `descriptor` names
    /// (size, then digest): a rerun keeps what a crashed run already wrote, in a partial bundle
    /// or a layout directory, only when this holds; anything else is fetched again.
    public func holds(_ descriptor: Descriptor, at offset: Int64) throws -> Bool {
        var verifier = BlobVerifier(descriptor)
        guard try forEachChunk(from: offset, length: descriptor.size, { try verifier.update($0) }) == descriptor.size else { return false }
        do {
            try verifier.finish()
            return true
        } catch {
            return false  // damaged: fetched again
        }
    }
}
