public import FerryArchive
public import FerryCore
public import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `ferry verify` is asked to do.
public struct VerifyOptions: Sendable {
    /// An uncompressed tar (ferry bundle, oci-archive, Docker 25+ `docker save`) or an OCI
    /// layout directory.
    public var input: String
    /// The content-index digest `ferry export` printed, when the user recorded it: the SHA-256
    /// of `ferry-index.json` must then equal it (ferry-bundle SPEC.md 6.5, 7.4).
    public var expectedContentIndexDigest: Digest?
    /// Blobs hashed at once; one per core keeps every core hashing.
    public var jobs: Int
    /// When given, the bundle must carry a signature by this key over its content index (the
    /// `ferry-index.json.sig` member, or the `<input>.sig` sidecar).
    public var publicKey: VerifyingKey?
    /// For an incremental bundle: the base bundles (`--base`) that must carry every blob it
    /// leaves out (closure, SPEC.md §12).
    public var base: BaseBundles?
    /// The most a compressed input may decompress to (by default 100× its size, at least 64 GiB).
    public var decompressionLimit: DecompressionLimit = .standard

    /// Options for verifying `input`.
    public init(input: String, expectedContentIndexDigest: Digest? = nil, jobs: Int = VerifyOptions.defaultJobs) {
        self.input = input
        self.expectedContentIndexDigest = expectedContentIndexDigest
        self.jobs = jobs
    }

    /// The number of cores this process may use.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
