import FerryCore
import FerryFormat

/// Whether an export fits where it is going, asked before the first blob is fetched (issue 17):
/// a USB disk that fills up hours into an export is the failure users fear most, and `--dry-run`
/// answers it before anything is written.
enum OutputSpace {
    /// A tar header and the most padding one member can take.
    static let perMember: Int64 = 1024
    /// index.json, manifest.json, repositories, the content index and the like, per image.
    static let metadataPerImage: Int64 = 8 << 10

    /// What the output will need: every blob of the plan with its header and padding, and the
    /// metadata; twice that with `--compress`, as the plain partial and the compressed file exist
    /// together until the rename. Less what is already there and will be kept: a crashed run's
    /// partial files (reused by this run), a layout's blobs of the right size.
    static func needed(_ plan: CopyPlan, output: ExportOptions.Output, compressed: Bool) -> Int64 {
        let blobs = plan.blobs.reduce(Int64(0)) { $0 + $1.descriptor.size + perMember }
        let total = blobs + Int64(plan.images.count) * metadataPerImage + 64 << 10
        switch output {
        case .bundle(let path), .archive(let path, _):
            return max(0, (compressed ? 2 * total : total) - partialBytes(of: path))
        case .layout(let directory):
            let present = plan.blobs.reduce(Int64(0)) { sum, blob in
                let file = "\(directory)/\(blob.descriptor.digest.layoutPath)"
                return sum + (FileSystem.fileSize(file) == blob.descriptor.size ? blob.descriptor.size + perMember : 0)
            }
            return max(0, total - present)
        }
    }

    /// The bytes an interrupted export of `path` left in its partial file (or partial parts).
    static func partialBytes(of path: String) -> Int64 {
        let partial = BundleFiles(path).partial
        var bytes = FileSystem.fileSize(partial) ?? 0
        var index = 0
        while let size = FileSystem.fileSize(BundleFiles(partial).part(index)) {
            bytes += size
            index += 1
        }
        return bytes
    }

    /// Refuses to start when the output's file system has less than `needed` free.
    static func check(needed: Int64, available: Int64?, output: ExportOptions.Output) throws {
        guard let available, needed > available else { return }
        throw FerryOperationsError.output(
            path: output.path,
            reason: "needs about \(ByteCount.format(needed)), and its file system has \(ByteCount.format(available)) free; free some space, write elsewhere, or pass --force to try anyway")
    }
}
