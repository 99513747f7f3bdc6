import FerryCore
import FerryHTTP
import FerryRegistry

/// Where the bytes of the blobs `BlobUploader` sends come from. The uploader decides what to
/// send (HEAD first, mounts between repositories of the target); a supply only sends bytes.
protocol UploadSupply: Sendable {
    /// The input, for messages.
    var location: String { get }
    /// Whether the supply can send this blob (false: it must already be in the target, as the
    /// blobs an incremental bundle leaves to its bases).
    func has(_ digest: Digest) -> Bool
    /// Puts the blob into `repository`, hashing the bytes on the way. Returns how it got there.
    func upload(_ descriptor: Descriptor, to repository: String, registry: String, client: RegistryClient,
                chunkSize: Int64?, progress: @escaping ProgressHandler) async throws -> BlobTransfer
}

/// A local bundle or layout: every blob is sent from its bytes in place, hashed again as it is
/// read.
struct StoreSupply: UploadSupply {
    let store: any BlobStore

    var location: String { store.location }

    func has(_ digest: Digest) -> Bool { store.blob(digest) != nil }

    func upload(_ descriptor: Descriptor, to repository: String, registry: String, client: RegistryClient,
                chunkSize: Int64?, progress: @escaping ProgressHandler) async throws -> BlobTransfer {
        guard let location = store.blob(descriptor.digest) else {
            throw FerryBundleError.input(path: store.location, reason: "blob \(descriptor.digest) is missing")
        }
        progress(.blobStarted(descriptor.digest, size: descriptor.size))
        let verifier = UploadVerifier(descriptor, progress: progress)
        // The bytes are hashed as they are read for the upload. When they do not match, that is
        // the error to report, whatever the registry answered (it refuses the upload with
        // DIGEST_INVALID): the bundle's member is damaged, exit 76, not a registry failure
        // (issue 15, item 12).
        func damaged() -> FerryBundleError? {
            do {
                try verifier.finish()
                return nil
            } catch {
                return .damaged(path: store.location, reason: "\(location.name): \(error)")
            }
        }
        do {
            try await client.uploadBlob(registry: registry, repository: repository, descriptor: descriptor,
                                        body: {
                                            // Every attempt is a new session that sends the blob from byte 0.
                                            verifier.rewind()
                                            return .file(location.file, offset: location.offset, length: location.size, observer: verifier)
                                        },
                                        chunkSize: chunkSize)
        } catch {
            throw damaged() ?? error
        }
        if let damaged = damaged() { throw damaged }
        progress(.blobFinished(descriptor.digest, size: descriptor.size))
        return .uploaded
    }
}
