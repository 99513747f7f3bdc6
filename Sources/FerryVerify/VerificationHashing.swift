import FerryCore
import FerryFormat

/// Hashes blob members against the digests in their names, several at once.
///
/// SHA-256 of one blob is sequential, so the parallelism is across blobs: a sliding window of
/// `width` blobs (one per core), each read with `pread` in 1 MiB chunks on a `Blocking` thread
/// and streamed through a `BlobVerifier`. Largest blobs start first, so one big base layer does
/// not end up alone on one core at the end while the other core idles; with a width of 1 the
/// blobs are read in input order instead, sequentially, for slow media.
enum VerificationHashing {
    static let chunkSize = 1 << 20

    struct Job: Sendable {
        /// Position in input order, to report results in that order.
        let position: Int
        let digest: Digest
        let member: VerificationInput.Member
    }

    enum Outcome: Sendable {
        case verified
        case mismatch(actual: Digest)
        /// The member ended early (a layout file that shrank while being read).
        case short(received: Int64)
        case unreadable(String)
    }

    struct Result: Sendable {
        let job: Job
        let outcome: Outcome
    }

    /// Every job's outcome, in `position` order.
    static func run(_ jobs: [Job], input: VerificationInput, width: Int,
                    progress: @escaping ProgressHandler) async throws -> [Result] {
        // One at a time reads strictly in input order (sequential on disks and USB sticks).
        let ordered = width <= 1 ? jobs : jobs.sorted { $0.member.size > $1.member.size }
        var results: [Result] = []
        results.reserveCapacity(jobs.count)
        try await TaskWindow.run(ordered, width: width, { job in
            let outcome = try await Blocking.run { hash(job.member, digest: job.digest, input: input, progress: progress) }
            progress(.blobFinished(job.digest, size: job.member.size))
            return Result(job: job, outcome: outcome)
        }, collect: { result in
            results.append(result)
            try Task.checkCancellation()
        })
        return results.sorted { $0.job.position < $1.job.position }
    }

    /// Size, then digest, of one member; failures are outcomes, not errors, so one bad blob
    /// does not stop the others.
    static func hash(_ member: VerificationInput.Member, digest: Digest, input: VerificationInput,
                     progress: ProgressHandler) -> Outcome {
        var verifier = BlobVerifier(digest: digest, size: member.size)
        do {
            let (file, base) = try input.open(member)
            let received = try file.forEachChunk(from: base, length: member.size, chunkSize: chunkSize) { chunk in
                try verifier.update(chunk)
                progress(.bytes(Int64(chunk.count)))
            }
            guard received == member.size else { return .short(received: received) }
            try verifier.finish()
            return .verified
        } catch FerryCoreError.digestMismatch(_, let actual) {
            return .mismatch(actual: actual)
        } catch {
            return .unreadable("\(error)")
        }
    }
}
