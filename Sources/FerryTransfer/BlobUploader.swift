import FerryCore
import FerryRegistry

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

    /// One blob in one repository: the unit the uploader sends, and fails, once.
    struct Pair: Hashable, Sendable {
        let repository: String
        let digest: Digest
    }

    struct Outcomes: Sendable {
        var uploaded = 0, mounted = 0, skipped = 0
        var bytes: Int64 = 0
        /// With keep-going: why each pair failed.
        var failed: [Pair: any Error] = [:]
    }

    struct Work: Sendable {
        let repository: String
        let descriptor: Descriptor
        let images: [String]
        /// A repository of this import that will already hold the blob (phase two).
        let mountFrom: String?
    }

    func transfer(_ images: [PublishImage], jobs: Int, keepGoing: Bool = false) async throws -> Outcomes {
        var firstRepository: [Digest: String] = [:]
        var pairs: [Pair: (Descriptor, [String])] = [:]
        var order: [Pair] = []
        for image in images {
            for blob in image.blobs {
                let pair = Pair(repository: image.destination.repository, digest: blob.digest)
                if pairs[pair] == nil {
                    order.append(pair)
                    pairs[pair] = (blob, [])
                    if firstRepository[blob.digest] == nil { firstRepository[blob.digest] = pair.repository }
                }
                pairs[pair]?.1.append(image.destination.description)
            }
        }
        var phaseOne: [Work] = [], phaseTwo: [Work] = []
        for pair in order {
            guard let (descriptor, users) = pairs[pair] else { continue }
            let first = firstRepository[descriptor.digest]
            if first == pair.repository {
                phaseOne.append(Work(repository: pair.repository, descriptor: descriptor, images: users, mountFrom: nil))
            } else {
                phaseTwo.append(Work(repository: pair.repository, descriptor: descriptor, images: users, mountFrom: first))
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
            // A blob that failed in phase one cannot be mounted from there.
            let failedDigests = Set(outcomes.failed.keys.map(\.digest))
            try await TaskWindow.run(phase, width: jobs, { work -> (Work, Result<BlobTransfer, any Error>) in
                let attempt = failedDigests.contains(work.descriptor.digest)
                    ? Work(repository: work.repository, descriptor: work.descriptor, images: work.images, mountFrom: nil) : work
                do {
                    return (work, .success(try await put(attempt)))
                } catch where keepGoing && !(error is CancellationError) {
                    return (work, .failure(error))
                }
            }, collect: { work, result in
                switch result {
                case .success(.alreadyPresent): outcomes.skipped += 1
                case .success(.mounted): outcomes.mounted += 1
                case .success(.uploaded):
                    outcomes.uploaded += 1
                    outcomes.bytes += work.descriptor.size
                case .failure(let error):
                    outcomes.failed[Pair(repository: work.repository, digest: work.descriptor.digest)] = error
                }
            })
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
        } catch let error as FerryTransferError {
            throw error
        } catch {
            // Anything else (a registry's refusal, a damaged member of a bundle) is named with
            // the images that need the blob.
            throw FerryTransferError.blob(descriptor.digest, images: work.images, doing: "uploading", underlying: error)
        }
    }
}
