public import FerryCore

/// Whether each served blob's bytes in its bundle hash to its digest, checked once and
/// remembered: `ferry serve` never sends a byte of a blob before this says it is intact.
///
/// Why check at all when the bundle was verified on export: the bundle crossed an air gap on a
/// disk, and a flipped bit there would otherwise reach every node that pulls. Why check whole
/// blobs before sending rather than while sending: once bytes are on the wire a client may
/// keep them (a Range resume, a cache that does not hash), so the only safe answer to damage
/// is one given before the first byte. The cost is one read of each blob, on its first request
/// (or at start with `--verify`); later requests pay nothing.
///
/// Several requests for the same unchecked blob wait for one check. Checks read and hash on
/// threads of their own (`Blocking`), never on Swift's cooperative pool.
public final class BlobVerdicts: @unchecked Sendable {
    public enum Verdict: Sendable, Equatable {
        case intact
        /// The bytes are not the blob: why (short, or the digest they hash to).
        case damaged(reason: String)
    }

    private enum Entry {
        case checking(Task<Verdict, Never>)
        case done(Verdict)
    }

    private let bundles: ServedBundles
    private let onDamage: @Sendable (Digest, String) -> Void
    private let lanes = CheckLanes(width: 2)
    private let lock = Mutex()
    /// Guarded by `lock`.
    private var entries: [Digest: Entry] = [:]

    /// `onDamage` is called once for each blob found damaged, with the reason.
    public init(bundles: ServedBundles, onDamage: @escaping @Sendable (Digest, String) -> Void = { _, _ in }) {
        self.bundles = bundles
        self.onDamage = onDamage
    }

    /// The verdict on `digest`, checking it first if no request has yet. A digest the catalog
    /// does not hold is damaged (the caller only asks for blobs it found there).
    public func verdict(_ digest: Digest) async -> Verdict {
        // A verdict already made (every request but a blob's first) is answered at once,
        // without a task to wait on.
        if let verdict = known(digest) { return verdict }
        let task: Task<Verdict, Never> = lock.withLock {
            switch entries[digest] {
            case .done(let verdict):
                return Task { verdict }
            case .checking(let running):
                return running
            case nil:
                let (bundles, onDamage, lanes) = (self.bundles, self.onDamage, self.lanes)
                let running = Task {
                    let verdict = await lanes.run { await Self.check(digest, in: bundles) }
                    if case .damaged(let reason) = verdict { onDamage(digest, reason) }
                    return verdict
                }
                entries[digest] = .checking(running)
                return running
            }
        }
        let verdict = await task.value
        lock.withLock { entries[digest] = .done(verdict) }
        return verdict
    }

    /// What is known without checking: nil until a check has finished.
    public func known(_ digest: Digest) -> Verdict? {
        lock.withLock {
            if case .done(let verdict) = entries[digest] { return verdict }
            return nil
        }
    }

    /// Checks `digests` (blobs of the catalog), `width` at a time, and returns the damaged ones.
    public func checkAll(_ digests: [Digest], width: Int = 2) async throws -> [(digest: Digest, reason: String)] {
        var damaged: [(digest: Digest, reason: String)] = []
        try await TaskWindow.run(digests, width: width, { digest in (digest, await self.verdict(digest)) }) { digest, verdict in
            if case .damaged(let reason) = verdict { damaged.append((digest, reason)) }
        }
        return damaged.sorted { $0.digest.description < $1.digest.description }
    }

    private static func check(_ digest: Digest, in bundles: ServedBundles) async -> Verdict {
        guard let place = bundles.catalog.blob(digest) else { return .damaged(reason: "not in the served bundles") }
        let file = bundles.bundles[place.bundle].file
        do {
            return try await Blocking.run {
                var hasher = DigestHasher(digest.algorithm)
                let read = try file.forEachChunk(from: place.offset, length: place.size) { hasher.update($0) }
                guard read == place.size else {
                    return .damaged(reason: "the bundle ends after \(read) of its \(place.size) bytes (truncated?)")
                }
                let actual = hasher.finalize()
                return actual == digest ? .intact : .damaged(reason: "its \(place.size) bytes hash to \(actual)")
            }
        } catch {
            return .damaged(reason: "cannot be read: \(error)")
        }
    }
}
