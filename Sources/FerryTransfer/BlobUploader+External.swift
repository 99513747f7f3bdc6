import FerryCore
import FerryRegistry

extension BlobUploader {
    /// Checks the blobs an incremental bundle leaves to its base bundles (SPEC.md §12): each
    /// must already be in its destination repository, or in another repository of this import
    /// and then mounted. Returns (already present, mounted). Throws before anything is uploaded
    /// when some are in neither, listing every missing blob with its repository and images.
    func checkExternal(_ works: [Work], jobs: Int) async throws -> (present: Int, mounted: Int) {
        let exists = try await BoundedMap.run(works, width: jobs) { work in
            try await client.blobExists(registry: registry, repository: work.repository, digest: work.descriptor.digest)
        }
        var found: [Digest: String] = [:]
        for (work, present) in zip(works, exists) where present { found[work.descriptor.digest] = work.repository }
        let holders = found
        let absent = zip(works, exists).filter { !$0.1 }.map(\.0)
        let mounted = try await BoundedMap.run(absent, width: jobs) { work in
            guard let source = holders[work.descriptor.digest] else { return false }
            return try await client.mountBlob(registry: registry, repository: work.repository, digest: work.descriptor.digest, from: source)
        }
        let missing = zip(absent, mounted).filter { !$0.1 }.map(\.0)
        guard missing.isEmpty else {
            let lines = missing.prefix(20).map { "\($0.descriptor.digest) (\($0.descriptor.size) bytes) in \(registry)/\($0.repository), needed by \($0.images.joined(separator: ", "))" }
            throw FerryTransferError.supply(
                location: supply.location,
                reason: "is an incremental bundle, and \(missing.count) blob(s) it leaves to its base bundle(s) are not in the target: \(lines.joined(separator: "; "))\(missing.count > 20 ? "; …" : ""). Import the base bundle first. Nothing was pushed.")
        }
        return (exists.filter { $0 }.count, mounted.filter { $0 }.count)
    }
}
