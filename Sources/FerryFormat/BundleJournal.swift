import FerryArchive
import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The list of blobs already verified inside a `.ferry-partial` bundle.
///
/// A line is appended after each blob verifies. It is not fsynced per blob (that would flush
/// the whole bundle each time); instead a rerun hashes every journaled slot again before
/// trusting it, which costs a local read at ~2 GB/s and never a download. The first line
/// names the plan: a journal for another blob layout is discarded along with its file.
final class BundleJournal: @unchecked Sendable {
    let path: String
    private let file: PositionalFile
    private let mutex = Mutex()
    private var end: Int64

    private init(path: String, file: PositionalFile, end: Int64) {
        self.path = path
        self.file = file
        self.end = end
    }

    static func header(_ planID: String) -> String { "ferry-journal v1 \(planID)\n" }

    /// Opens the partial bundle for `planID`: reuses a matching one (returning the blobs whose
    /// slots still hash correctly) or starts a fresh, preallocated file. A split bundle has
    /// several partial files, one per part, opened as one logical file.
    static func open(partials: [(path: String, length: Int64)], journalPath: String, planID: String,
                     slots: [Digest: TarLayout.Slot], plan: CopyPlan) throws -> (PositionalFile, BundleJournal, Set<Digest>) {
        // No journal, an unreadable one or one for another plan all mean: start afresh.
        if FileSystem.exists(journalPath), let text = try? String(contentsOfFile: journalPath, encoding: .utf8),
           text.hasPrefix(header(planID)), partials.allSatisfy({ FileSystem.fileSize($0.path) == $0.length }) {
            let file = try PositionalFile(parts: partials, flags: O_RDWR)
            let descriptors = Dictionary(plan.blobs.map { ($0.descriptor.digest, $0.descriptor) }, uniquingKeysWith: { a, _ in a })
            var reused = Set<Digest>()
            for line in text.split(separator: "\n").dropFirst() {
                // A torn last line (crash mid-append) is not a digest: skip it, the blob is fetched again.
                guard let digest = try? Digest(parsing: String(line)), let slot = slots[digest],
                      let descriptor = descriptors[digest] else { continue }
                if try file.holds(descriptor, at: slot.dataOffset) { reused.insert(digest) }
            }
            let journalFile = try PositionalFile(path: journalPath, flags: O_RDWR)
            let journal = BundleJournal(path: journalPath, file: journalFile, end: try journalFile.size())
            return (file, journal, reused)
        }
        for partial in partials { FileSystem.remove(partial.path) }
        FileSystem.remove(journalPath)
        for partial in partials {
            let created = try PositionalFile(path: partial.path, flags: O_RDWR | O_CREAT | O_TRUNC)
            try created.close()
        }
        let file = try PositionalFile(parts: partials, flags: O_RDWR)
        do {
            try file.preallocate(partials.reduce(0) { $0 + $1.length })
        } catch {
            // Not enough space: leave nothing behind, not even an empty partial file.
            for partial in partials { FileSystem.remove(partial.path) }
            throw error
        }
        let journalFile = try PositionalFile(path: journalPath, flags: O_RDWR | O_CREAT | O_TRUNC)
        let headerBytes = Array(header(planID).utf8)
        try journalFile.write(headerBytes, at: 0)
        return (file, BundleJournal(path: journalPath, file: journalFile, end: Int64(headerBytes.count)), [])
    }

    func record(_ digest: Digest) throws {
        let line = Array("\(digest)\n".utf8)
        try mutex.withLock {
            try file.write(line, at: end)
            end += Int64(line.count)
        }
    }

    /// Deletes the journal once the bundle is complete.
    func remove() throws {
        try file.close()
        FileSystem.remove(path)
    }
}
