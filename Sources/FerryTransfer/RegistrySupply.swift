public import FerryCore
import FerryHTTP
public import FerryRegistry

/// Blobs of another registry, for `ferry copy` and `ferry sync`: configs fetched while
/// resolving are sent from memory; layers stream from the source straight into the upload
/// through a `BlobPipe` (no local disk, bounded memory), hashed on the way. When source and
/// target are the same registry, a cross-repository mount from the source repository is tried
/// first, so no byte moves at all.
public struct RegistrySupply: UploadSupply {
    struct Origin: Sendable {
        /// An image of the source that has the blob (its repository is where it is fetched).
        let reference: ImageReference
        /// The verified bytes, when resolving already fetched them (configs).
        let bytes: [UInt8]?
    }

    let source: any ImageSource
    let origins: [Digest: Origin]

    /// Blobs of `images`, each fetched from the first image that needs it, with the bytes
    /// resolving already fetched (configs).
    public init(source: any ImageSource, images: [ResolvedImage]) {
        self.source = source
        var origins: [Digest: Origin] = [:]
        for image in images {
            for node in image.images {
                if origins[node.manifest.config.digest] == nil {
                    origins[node.manifest.config.digest] = .init(reference: image.source, bytes: node.config)
                }
                for layer in node.manifest.layers where origins[layer.digest] == nil {
                    origins[layer.digest] = .init(reference: image.source, bytes: nil)
                }
            }
        }
        self.origins = origins
    }
    /// Whole-copy attempts for one blob (each with a new pipe, download and upload session).
    var attempts = 3

    public var location: String { "source registry" }

    public func has(_ digest: Digest) -> Bool { origins[digest] != nil }

    public func upload(_ descriptor: Descriptor, to repository: String, registry: String, client: RegistryClient,
                       chunkSize: Int64?, progress: @escaping ProgressHandler) async throws -> BlobTransfer {
        guard let origin = origins[descriptor.digest] else {
            throw FerryTransferError.supply(location: location, reason: "blob \(descriptor.digest) has no source image")
        }
        if origin.reference.registry == registry, origin.reference.repository != repository,
           try await client.mountBlob(registry: registry, repository: repository, digest: descriptor.digest,
                                      from: origin.reference.repository) {
            return .mounted
        }
        progress(.blobStarted(descriptor.digest, size: descriptor.size))
        if let bytes = origin.bytes {
            try await client.uploadBlob(registry: registry, repository: repository, descriptor: descriptor,
                                        body: { .bytes(bytes) }, chunkSize: chunkSize)
            progress(.bytes(Int64(bytes.count)))
            progress(.blobFinished(descriptor.digest, size: descriptor.size))
            return .uploaded
        }
        var attempt = 0
        while true {
            attempt += 1
            let pipe = BlobPipe(descriptor)
            do {
                try await stream(descriptor, from: origin.reference, to: repository, registry: registry, client: client, through: pipe)
                progress(.bytes(pipe.sent))
                progress(.blobFinished(descriptor.digest, size: descriptor.size))
                return .uploaded
            } catch where attempt < attempts && !(error is CancellationError) {
                // Neither side can resume the other: start both again from byte 0.
                continue
            }
        }
    }

    /// One attempt: the download fills the pipe while the upload drains it. Whichever side
    /// fails first fails the pipe, which stops the other.
    private func stream(_ descriptor: Descriptor, from reference: ImageReference, to repository: String, registry: String,
                        client: RegistryClient, through pipe: BlobPipe) async throws {
        let source = self.source
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await source.blob(reference, descriptor: descriptor, into: pipe)
                    try pipe.finishWriting()
                } catch {
                    pipe.fail(error)
                    throw error
                }
            }
            group.addTask {
                do {
                    // One streamed PUT: a pipe cannot be cut into PATCH chunks or sent twice.
                    try await client.uploadBlob(registry: registry, repository: repository, descriptor: descriptor,
                                                body: { .stream(pipe, length: descriptor.size) }, chunkSize: nil)
                } catch {
                    pipe.fail(error)
                    throw error
                }
            }
            try await group.waitForAll()
        }
    }
}
