import FerryCore
import FerryHTTP
import FerryRegistry
import Foundation

/// Puts every blob the images need into their destination repositories, each (repository,
/// digest) pair once, `jobs` at a time.
///
/// Two phases: first every distinct digest into the first repository that needs it (HEAD, else
/// upload); then the other repositories, which can usually mount the blob from the first
/// instead of receiving its bytes again.
struct BlobUploader: Sendable {
    let client: RegistryClient
    /// Where the bytes come from: a local bundle read in place, or another registry (copy).
    let supply: any UploadSupply
    let registry: String
    let chunkSize: Int64?
    let progress: ProgressHandler

    struct Outcomes {
        var uploaded = 0, mounted = 0, skipped = 0
        var bytes: Int64 = 0
        /// With keep-going: "repository|digest" → why it failed.
        var failed: [String: any Error] = [:]
    }

    struct Work: Sendable {
        let repository: String
        let descriptor: Descriptor
        let images: [String]
        /// A repository of this import that will already hold the blob (phase two).
        let mountFrom: String?
    }

    func transfer(_ images: [ImportImage], jobs: Int, keepGoing: Bool = false) async throws -> Outcomes {
        var firstRepository: [Digest: String] = [:]
        var pairs: [String: (Descriptor, [String])] = [:]
        var order: [String] = []
        for image in images {
            for blob in image.blobs {
                let key = "\(image.destination.repository)|\(blob.digest)"
                if pairs[key] == nil {
                    order.append(key)
                    pairs[key] = (blob, [])
                    if firstRepository[blob.digest] == nil { firstRepository[blob.digest] = image.destination.repository }
                }
                pairs[key]?.1.append(image.destination.description)
            }
        }
        var phaseOne: [Work] = [], phaseTwo: [Work] = []
        for key in order {
            guard let (descriptor, users) = pairs[key] else { continue }
            let repository = String(key.prefix { $0 != "|" })
            let first = firstRepository[descriptor.digest]
            if first == repository {
                phaseOne.append(Work(repository: repository, descriptor: descriptor, images: users, mountFrom: nil))
            } else {
                phaseTwo.append(Work(repository: repository, descriptor: descriptor, images: users, mountFrom: first))
            }
        }
        // An incremental bundle leaves some blobs to its bases: they must be in the target
        // already (or mountable from another repository of it) before anything is sent.
        let external = (phaseOne + phaseTwo).filter { !supply.has($0.descriptor.digest) }
        var outcomes = Outcomes()
        if !external.isEmpty {
            let (present, mounted) = try await checkExternal(external, jobs: jobs)
            outcomes.skipped += present
            outcomes.mounted += mounted
            phaseOne.removeAll { !supply.has($0.descriptor.digest) }
            phaseTwo.removeAll { !supply.has($0.descriptor.digest) }
        }
        let all = phaseOne + phaseTwo
        progress(.planned(blobs: all.count, bytes: all.reduce(0) { $0 + $1.descriptor.size },
                          toTransfer: phaseOne.count, toTransferBytes: phaseOne.reduce(0) { $0 + $1.descriptor.size }))
        for phase in [phaseOne, phaseTwo] {
            let failedDigests = Set(outcomes.failed.keys.map { $0.split(separator: "|").last.map(String.init) ?? "" })
            try await withThrowingTaskGroup(of: (Work, Result<BlobTransfer, any Error>).self) { group in
                var next = phase.makeIterator()
                func startNext() -> Bool {
                    guard let work = next.next() else { return false }
                    group.addTask {
                        // A blob that failed in phase one cannot be mounted from there.
                        let retry = failedDigests.contains(work.descriptor.digest.description)
                            ? Work(repository: work.repository, descriptor: work.descriptor, images: work.images, mountFrom: nil) : work
                        do {
                            return (work, .success(try await put(retry)))
                        } catch where keepGoing && !(error is CancellationError) {
                            return (work, .failure(error))
                        }
                    }
                    return true
                }
                for _ in 0..<max(1, jobs) where !startNext() { break }
                while let (work, result) = try await group.next() {
                    switch result {
                    case .success(.alreadyPresent): outcomes.skipped += 1
                    case .success(.mounted): outcomes.mounted += 1
                    case .success(.uploaded):
                        outcomes.uploaded += 1
                        outcomes.bytes += work.descriptor.size
                    case .failure(let error):
                        outcomes.failed["\(work.repository)|\(work.descriptor.digest)"] = error
                    }
                    _ = startNext()
                }
            }
        }
        return outcomes
    }

    private func put(_ work: Work) async throws -> BlobTransfer {
        let descriptor = work.descriptor
        do {
            if try await client.blobExists(registry: registry, repository: work.repository, digest: descriptor.digest) {
                return .alreadyPresent
            }
            if let source = work.mountFrom,
               try await client.mountBlob(registry: registry, repository: work.repository, digest: descriptor.digest, from: source) {
                return .mounted
            }
            return try await supply.upload(descriptor, to: work.repository, registry: registry, client: client,
                                           chunkSize: chunkSize, progress: progress)
        } catch let error as FerryBundleError {
            // A damaged member is named with the images that need it.
            if case .damaged = error {
                throw FerryBundleError.blob(descriptor.digest, images: work.images, doing: "uploading", underlying: error)
            }
            throw error
        } catch {
            throw FerryBundleError.blob(descriptor.digest, images: work.images, doing: "uploading", underlying: error)
        }
    }
}

/// Hashes an upload's bytes as libcurl reads them from the bundle.
final class UploadVerifier: HTTPBodyObserver, @unchecked Sendable {
    private let mutex = Mutex()
    private var verifier: BlobVerifier
    private let progress: ProgressHandler

    init(_ descriptor: Descriptor, progress: @escaping ProgressHandler) {
        verifier = BlobVerifier(descriptor)
        self.progress = progress
    }

    func observe(_ buffer: UnsafeRawBufferPointer) throws {
        try mutex.withLock { try verifier.update(buffer) }
        progress(.bytes(Int64(buffer.count)))
    }

    func rewind() {
        let lost = mutex.withLock { () -> Int64 in
            let received = verifier.received
            verifier = BlobVerifier(digest: verifier.expectedDigest, size: verifier.expectedSize)
            return received
        }
        progress(.bytes(-lost))
    }

    func finish() throws {
        try mutex.withLock { _ = try verifier.finish() }
    }
}
