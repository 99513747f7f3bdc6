import FerryCore
import FerryFormat
import FerryHTTP
import FerryRegistry
import FerryTransfer

/// A local bundle or layout: every blob is sent from its bytes in place, hashed again as it is
/// read.
struct StoreSupply: UploadSupply {
    let store: any BlobStore

    var location: String { store.location }

    func has(_ digest: Digest) -> Bool { store.blob(digest) != nil }

    func upload(_ descriptor: Descriptor, to repository: String, registry: String, client: RegistryClient,
                chunkSize: Int64?, progress: @escaping ProgressHandler) async throws -> BlobTransfer {
        guard let location = store.blob(descriptor.digest) else {
            throw FerryFormatError.input(path: store.location, reason: "blob \(descriptor.digest) is missing")
        }
        progress(.blobStarted(descriptor.digest, size: descriptor.size))
        let verifier = UploadVerifier(descriptor, progress: progress)
        // The bytes are hashed as they are read for the upload. When they do not match, that is
        // the error to report, whatever the registry answered (it refuses the upload with
        // DIGEST_INVALID): the bundle's member is damaged, exit 76, not a registry failure
        // (issue 15, item 12).
        func damaged() -> FerryFormatError? {
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
