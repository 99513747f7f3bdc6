import FerryArchive
import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BundleWriter {
    /// Finishes a split bundle (SPEC.md §8): fsyncs every part, hashes each one, removes the part
    /// index and checksums of any earlier bundle under this name, renames the new parts into
    /// place (and deletes surplus parts of the earlier bundle), then writes the part index and
    /// `SHA256SUMS` last. A part index on disk therefore always describes a complete set, and a
    /// crash halfway through leaves parts that the content index check tells apart.
    func commitParts(_ file: PositionalFile, journal: BundleJournal, plan: PartPlan,
                     contentIndexDigest: Digest?) async throws -> [String] {
        let partials = file.partPaths
        try await Blocking.run {
            try file.sync()
            try file.close()
        }
        let hashes = try await Self.hashFiles(partials)
        let finals = plan.sizes.indices.map { BundleFiles(outputPath).part($0) }
        let starts = plan.starts
        var blobsByPart: [[Digest]] = Array(repeating: [], count: plan.sizes.count)
        // Blobs in offset order against parts in offset order: the first part a blob can lie in
        // only moves forward (each blob against every part was blobs × parts).
        var first = 0
        for (digest, slot) in blobSlots.sorted(by: { $0.value.dataOffset < $1.value.dataOffset }) {
            let end = slot.dataOffset + max(slot.member.size, 1) - 1
            while first < starts.count && starts[first] + plan.sizes[first] <= slot.dataOffset { first += 1 }
            var number = first
            while number < starts.count && starts[number] <= end {
                blobsByPart[number].append(digest)
                number += 1
            }
        }
        let index = PartIndex(
            schemaVersion: 1, mediaType: PartIndex.mediaType, bundle: PartSet.fileName(outputPath),
            contentIndexDigest: contentIndexDigest, maxPartSize: plan.maxPartSize, totalSize: layout.totalSize,
            parts: plan.sizes.indices.map {
                PartIndex.Part(name: PartSet.fileName(finals[$0]), offset: starts[$0], size: plan.sizes[$0],
                               sha256: hashes[$0], blobs: blobsByPart[$0])
            })
        let indexBytes = try index.encoded()
        try await Blocking.run { [outputPath, signingKey, signatureBytes] in
            FileSystem.remove(BundleFiles(outputPath).partIndex)
            FileSystem.remove(BundleFiles(outputPath).checksums)
            for (partial, final) in zip(partials, finals) { try FileSystem.commitRename(from: partial, to: final) }
            var surplus = finals.count
            while FileSystem.exists(BundleFiles(outputPath).part(surplus)) {
                FileSystem.remove(BundleFiles(outputPath).part(surplus))
                surplus += 1
            }
            try journal.remove()
            var sums = index.checksumLines
            if signingKey != nil {
                let signature = signatureBytes + [0x0a]
                try FileSystem.writeAtomically(signature, to: BundleFiles(outputPath).signature)
                sums += "\(DigestHasher.digest(of: signature).hex)  \(PartSet.fileName(outputPath)).sig\n"
            }
            try FileSystem.writeAtomically(indexBytes, to: BundleFiles(outputPath).partIndex)
            sums += "\(DigestHasher.digest(of: indexBytes).hex)  \(PartSet.fileName(BundleFiles(outputPath).partIndex))\n"
            try FileSystem.writeAtomically(Array(sums.utf8), to: BundleFiles(outputPath).checksums)
        }
        return finals
    }

    /// SHA-256 (hex) of each file, two at a time (the machines ferry runs on often have two
    /// cores, and one hashing thread reads at disk speed already).
    static func hashFiles(_ paths: [String]) async throws -> [String] {
        try await BoundedMap.run(paths, width: 2) { path in try await Blocking.run { try hashFile(path) } }
    }

    static func hashFile(_ path: String) throws -> String {
        let file = try PositionalFile(path: path, flags: O_RDONLY)
        var hasher = DigestHasher()
        try file.forEachChunk(chunkSize: 4 << 20) { hasher.update($0) }
        try file.close()
        return hasher.finalize().hex
    }
}
