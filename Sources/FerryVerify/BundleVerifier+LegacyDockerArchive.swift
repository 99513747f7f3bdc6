import FerryArchive
import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BundleVerifier {
    /// A docker-archive from before Docker 25 (`<id>/layer.tar`, skopeo's docker-archive:):
    /// nothing in it is named by a registry digest, so what can be proven is that each config
    /// hashes to the digest in its name and each uncompressed layer to its config's diff_id
    /// (compressed layers are read but not checked against diff_ids: that needs decompression).
    static func legacyDockerArchive(_ bundle: BundleInput) throws -> VerificationReport {
        let path = bundle.path
        guard let tar = try bundle.store() as? TarBlobStore else {
            throw FerryFormatError.input(path: path, reason: "a docker-archive is a tar, not a directory")
        }
        let checks = try DockerArchiveConverter(store: tar, compression: .none, temporaryDirectory: NSTemporaryDirectory()).check()
        var problems: [VerificationProblem] = []
        var images: [VerificationReport.Image] = []
        for check in checks {
            for name in check.names {
                images.append(.init(name: name, digest: check.configDigest?.description ?? "", status: check.error == nil ? .ok : .damaged))
            }
            if let error = check.error {
                let damaged: Bool
                if case FerryFormatError.damaged? = error as? FerryFormatError { damaged = true } else { damaged = false }
                problems.append(VerificationProblem(kind: damaged ? .digestMismatch : .invalidMetadata, member: nil, digest: nil,
                                                    expected: nil, actual: nil, offset: nil, length: nil,
                                                    affectedImages: check.names, message: "\(error)"))
            }
        }
        return VerificationReport(input: path, kind: .dockerArchive, blobsChecked: checks.filter { $0.error == nil }.count,
                                  bytesChecked: checks.reduce(0) { $0 + $1.bytes }, images: images, problems: problems,
                                  omitted: [], contentIndexDigest: nil, ok: problems.isEmpty)
    }
}
