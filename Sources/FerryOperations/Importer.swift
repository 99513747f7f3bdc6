public import FerryCore
import FerryFormat
public import FerryRegistry
import FerryTransfer
import Foundation

/// `ferry import`: a bundle (or layout) into a registry, without unpacking it.
///
/// Everything in the input is checked before the first byte is sent: names, manifests (read
/// whole, hashed, parsed, media types agreeing with their descriptors) and the presence of
/// every blob. Then blobs go up (HEAD first, mount when another repository of the target has
/// them, else uploaded straight from their bytes in the bundle and hashed again on the way),
/// then child manifests by digest, then indexes, then tags: a tag never points at an image
/// whose parts are not all there.
public struct Importer: Sendable {
    public let client: RegistryClient
    public let progress: ProgressHandler

    public init(client: RegistryClient, progress: @escaping ProgressHandler = { _ in }) {
        self.client = client
        self.progress = progress
    }

    /// Imports `options.input`; pass `opened` when the caller already opened it (to read its
    /// names for an images file), so a large or compressed input is read only once.
    public func run(_ options: ImportOptions, opened: ImportInput? = nil) async throws -> ImportReport {
        let input: ImportInput
        if let opened { input = opened } else { input = try await ImportInput.open(options.input) }
        let (images, unnamed, store, notes) = try await Blocking.run { try ImportPlanner.plan(store: input.store, options: options, scratch: input.scratch) }
        for note in notes { progress(.warning(note)) }
        for entry in unnamed { progress(.warning("\(options.input): \(entry) has no image name; not imported (--repository REPO names tag-only and nameless entries; --name REFERENCE names one entry, in order)")) }
        var report = ImportReport(input: options.input, dryRun: options.dryRun, planned: images, unnamed: unnamed)
        guard !options.dryRun else { return report }
        guard !images.isEmpty else {
            // Not export's "no images given": say why this input gave none and what names them.
            guard unnamed.isEmpty else {
                throw FerryOperationsError.input(path: options.input,
                                             reason: "none of its \(unnamed.count) entries has an image name; give the repository of tag-only or nameless entries with --repository REPO, or each entry a name with --name REFERENCE (in the order they appear)")
            }
            throw FerryOperationsError.input(path: options.input, reason: "no image of the input was selected for import")
        }
        let journal = try await openJournal(options, store: store)
        var pending = images
        if let journal {
            report.journal = journal.path
            pending = images.filter { !journal.isFinished($0) }
            report.imagesSkipped = images.count - pending.count
            if report.imagesSkipped > 0 {
                progress(.note("\(report.imagesSkipped) of \(images.count) image(s) were finished by an earlier run (\(journal.path)): skipped"))
            }
        }
        progress(.imagesPlanned(pending.count))
        // Nothing left to publish: say so as a rerun that found everything present does.
        if pending.isEmpty { progress(.planned(blobs: 0, bytes: 0, toTransfer: 0, toTransferBytes: 0)) }
        let publisher = RegistryPublisher(client: client, progress: progress)
        let supply = StoreSupply(store: store)
        // Images go a batch at a time: what the publisher holds per image stays bounded (a
        // 10,000-image import in one batch peaked at 193 MiB, in batches at 141 MiB), and with a
        // journal each finished batch is written down, so a killed run loses at most one.
        for start in stride(from: 0, to: pending.count, by: Self.batch) {
            let group = Array(pending[start..<min(start + Self.batch, pending.count)])
            let outcome = try await publisher.publish(group, from: supply, chunkSize: options.chunkSize, jobs: options.jobs,
                                                      keepGoing: options.keepGoing)
            report.add(outcome)
            let failed = Set(outcome.failures.map(\.image))
            try journal?.record(group.filter { !failed.contains($0.destination.description) })
        }
        // The journal serves the rerun of a run that did not finish. A finished import removes
        // it: a later run asks the registry again, so a target emptied or rebuilt at the same
        // address in between is filled again instead of being trusted to hold what it held.
        if let journal, report.failures.isEmpty {
            journal.remove()
            report.journal = nil
        }
        progress(.finished)
        return report
    }

    /// Images published together (and between two journal writes).
    static let batch = 64

    /// The journal of a ferry bundle (other inputs have no content index to key it by), in
    /// `options.journalDirectory`. A directory that cannot be written (a DVD) means no journal,
    /// with a warning: the import itself does not need one.
    func openJournal(_ options: ImportOptions, store: any BlobStore) async throws -> ImportJournal? {
        guard let directory = options.journalDirectory,
              let contentIndex = try await Blocking.run({ try ContentIndex.digest(in: store) }) else { return nil }
        guard access(directory, W_OK) == 0 else {
            progress(.warning("\(directory) is not writable: no import journal, so a rerun asks the registry about every image again (--state-dir DIR keeps it elsewhere)"))
            return nil
        }
        return try ImportJournal.open(directory: directory, contentIndex: contentIndex)
    }
}
