import FerryCore
import FerryFormat
import FerryTransfer
import Foundation

/// What a rerun of an import may skip (issue 18, item 4). One file per bundle and state
/// directory, named for the bundle's content index digest, so a renamed, re-split or
/// decompressed copy of the same bundle finds it and another bundle never does. Its lines are
/// JSON: a header naming the content index, then one line per image whose blobs, manifests,
/// tag and referrer links all went through, as `{"destination", "digest"}`. The destination
/// carries the target, so an import of the same bundle into another registry or under another
/// prefix skips nothing.
///
/// An image listed is skipped whole: no HEAD, no push. The journal is only a shortcut for the
/// rerun of an import that did not finish (killed, or failed for some images): a run that
/// finishes removes it, so a later run asks the registry again, and `ferry verify --registry`
/// (or `--plan`) still checks the target itself. Lines are appended after each batch and
/// flushed to disk; a line cut short by a kill is dropped on the next open.
final class ImportJournal: Sendable {
    struct Entry: Codable, Hashable, Sendable {
        var destination: String
        var digest: Digest
    }

    struct Header: Codable {
        var ferryImportJournal: Int
        var contentIndex: Digest
    }

    let path: String
    let finished: Set<Entry>
    private let lock = Mutex()

    private init(path: String, finished: Set<Entry>) {
        self.path = path
        self.finished = finished
    }

    /// The journal file of the bundle whose content index hashes to `contentIndex`, in `directory`.
    static func path(directory: String, contentIndex: Digest) -> String {
        "\(directory)/ferry-import-\(contentIndex.hex.prefix(16)).journal"
    }

    /// Opens (or starts) the journal; what it lists is `finished`.
    static func open(directory: String, contentIndex: Digest) throws -> ImportJournal {
        let path = path(directory: directory, contentIndex: contentIndex)
        var entries = Set<Entry>()
        var keep: [UInt8] = []
        if let data = FileManager.default.contents(atPath: path) {
            let bytes = Array(data)
            // Whole lines only: a kill can cut the last one short.
            let complete = bytes.lastIndex(of: 0x0a).map { Array(bytes[...$0]) } ?? []
            let lines = complete.split(separator: 0x0a)
            let decoder = JSONDecoder()
            // A header of another bundle or version (or none): start afresh, skip nothing.
            if let first = lines.first, let header = try? decoder.decode(Header.self, from: Data(first)), header.contentIndex == contentIndex {
                keep = complete
                for line in lines.dropFirst() {
                    guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else {
                        throw FerryOperationsError.input(path: path, reason: "a line of the import journal is not an entry; remove the file to start afresh")
                    }
                    entries.insert(entry)
                }
            }
        }
        if keep.isEmpty {
            keep = try CanonicalJSON.encode(Header(ferryImportJournal: 1, contentIndex: contentIndex)) + [0x0a]
        }
        do {
            try FileSystem.writeAtomically(keep, to: path)
        } catch {
            throw FerryOperationsError.output(path: path, reason: "cannot write the import journal (\(error)); --state-dir DIR puts it elsewhere, --no-journal goes without")
        }
        return ImportJournal(path: path, finished: entries)
    }

    static func entry(_ image: PublishImage) -> Entry {
        Entry(destination: image.destination.description, digest: image.entry.digest)
    }

    func isFinished(_ image: PublishImage) -> Bool {
        finished.contains(Self.entry(image))
    }

    /// Removes the journal: the import it served finished.
    func remove() {
        lock.withLock { FileSystem.remove(path) }
    }

    /// Appends `images` as finished and flushes them to disk.
    func record(_ images: [PublishImage]) throws {
        guard !images.isEmpty else { return }
        var bytes: [UInt8] = []
        for image in images { bytes += try CanonicalJSON.encode(Self.entry(image)) + [0x0a] }
        try lock.withLock {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw FerryOperationsError.output(path: path, reason: "cannot open the import journal to add to it")
            }
            // The bytes are synced before the close: a failed close loses nothing.
            defer { try? handle.close() }
            do {
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(bytes))
                try handle.synchronize()
            } catch {
                throw FerryOperationsError.output(path: path, reason: "cannot add to the import journal: \(error)")
            }
        }
    }
}
