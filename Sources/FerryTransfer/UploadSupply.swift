public import FerryCore
import FerryHTTP
public import FerryRegistry

/// Where the bytes of the blobs `BlobUploader` sends come from. The uploader decides what to
/// send (HEAD first, mounts between repositories of the target); a supply only sends bytes.
public protocol UploadSupply: Sendable {
    /// The input, for messages.
    var location: String { get }
    /// Whether the supply can send this blob (false: it must already be in the target, as the
    /// blobs an incremental bundle leaves to its bases).
    func has(_ digest: Digest) -> Bool
    /// Puts the blob into `repository`, hashing the bytes on the way. Returns how it got there.
    func upload(_ descriptor: Descriptor, to repository: String, registry: String, client: RegistryClient,
                chunkSize: Int64?, progress: @escaping ProgressHandler) async throws -> BlobTransfer
}
