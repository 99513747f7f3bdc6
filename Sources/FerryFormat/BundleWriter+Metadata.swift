import FerryArchive
import FerryCore

/// The JSON members a bundle carries before its blobs, made from the plan when they are
/// measured and made again when they are written, never held whole (`CanonicalJSON.Document`):
/// at 10,000 images they are 17 MB of text.
enum MetadataMember: String, CaseIterable, Sendable {
    case ociLayout = "oci-layout"
    case indexJSON = "index.json"
    case dockerManifest = "manifest.json"
    case repositories

    /// The members `format` carries, in tar order (the content index and signature follow).
    static func members(of format: BundleFormat) -> [MetadataMember] {
        switch format {
        case .ferry: return allCases
        case .ociArchive: return [.ociLayout, .indexJSON]
        case .dockerArchive: return [.dockerManifest, .repositories]
        }
    }

    func document(_ plan: CopyPlan, format: BundleFormat) throws -> CanonicalJSON.Document {
        switch self {
        case .ociLayout:
            return CanonicalJSON.Document(bytes: BundleMetadata.ociLayout)
        case .indexJSON:
            // A ferry bundle lists attachments in its content index only (SPEC.md §13), so the
            // plain loaders see images alone; an oci-archive has nowhere else to list them.
            return try BundleMetadata.indexDocument(format == .ferry ? plan.images.filter { $0.subject == nil } : plan.images,
                                                    BundleMetadata.indexEntry)
        case .dockerManifest:
            return CanonicalJSON.Document(array: BundleMetadata.dockerManifest(plan.images))
        case .repositories:
            return CanonicalJSON.Document(bytes: try BundleMetadata.repositories(plan.images))
        }
    }
}

/// A member's planned size and SHA-256: what the layout and the content index need of it.
struct MeasuredMember: Sendable {
    let name: String
    let size: Int
    let digest: Digest
}

extension BundleWriter {
    /// Streams `document` into `file` at `offset` through a 1 MiB buffer, checking that it
    /// comes out as `expected` measured it: the layout and the content index were planned
    /// with that size and digest, and a document that encoded differently the second time
    /// would leave a bundle that contradicts itself.
    static func write(_ document: CanonicalJSON.Document, expected: MeasuredMember, into file: PositionalFile,
                      at offset: Int64, outputPath: String) throws {
        let chunk = 1 << 20
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunk)
        var hasher = DigestHasher()
        var written = 0
        func flush() throws {
            guard !buffer.isEmpty else { return }
            guard written + buffer.count <= expected.size else {
                throw FerryFormatError.output(path: outputPath, reason: "\(expected.name) came out longer than the \(expected.size) bytes planned for it")
            }
            try file.write(buffer, at: offset + Int64(written))
            hasher.update(buffer)
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        try document.write { piece in
            buffer.append(contentsOf: piece)
            if buffer.count >= chunk { try flush() }
        }
        try flush()
        let digest = hasher.finalize()
        guard written == expected.size, digest == expected.digest else {
            throw FerryFormatError.output(path: outputPath,
                                          reason: "\(expected.name) encoded differently when written (\(written) bytes, \(digest)) than when planned (\(expected.size) bytes, \(expected.digest))")
        }
    }
}
