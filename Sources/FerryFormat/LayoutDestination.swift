public import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes into an OCI image layout directory (`-o DIR/` or `--layout`), adding to an existing
/// layout rather than replacing it (`formats/oci-layout/SPEC.md`).
///
/// Blobs appear under `blobs/sha256/` only after they verified (temp file, fsync, rename); an
/// existing blob file is hashed again before it is trusted. `index.json` is rewritten last,
/// atomically: entries with the same name are replaced, others kept.
public final class LayoutDestination: ImageDestination, @unchecked Sendable {
    public let directory: String
    private var plan: CopyPlan?
    private var added: Int64 = 0
    private let mutex = Mutex()

    public init(directory: String) {
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.directory = path
    }

    public func begin(_ plan: CopyPlan) async throws -> Set<Digest> {
        self.plan = plan
        let directory = self.directory
        return try await Blocking.run {
            try Self.prepareDirectory(directory)
            var present = Set<Digest>()
            for blob in plan.blobs {
                let path = "\(directory)/\(blob.descriptor.digest.layoutPath)"
                // An existing blob file is trusted only after it hashes right; a damaged one is
                // replaced by a verified copy (the rename swaps it atomically).
                if FileSystem.fileSize(path) == blob.descriptor.size,
                   try PositionalFile(path: path, flags: O_RDONLY).holds(blob.descriptor, at: 0) {
                    present.insert(blob.descriptor.digest)
                    continue
                }
                if let bytes = blob.bytes {
                    let writer = try VerifiedFileWriter(descriptor: blob.descriptor, finalPath: path)
                    try bytes.withUnsafeBytes { try writer.write($0) }
                    try writer.commit()
                    present.insert(blob.descriptor.digest)
                }
            }
            return present
        }
    }

    public func target(for blob: CopyPlan.Blob) throws -> any BlobWriteSession {
        LayoutBlobSession(writer: try VerifiedFileWriter(descriptor: blob.descriptor,
                                                         finalPath: "\(directory)/\(blob.descriptor.digest.layoutPath)"),
                          onFinish: { [self] size in mutex.withLock { added += size } })
    }

    public func commit() async throws -> DestinationResult {
        guard let plan else { throw FerryFormatError.output(path: directory, reason: "commit before begin") }
        let directory = self.directory
        try await Blocking.run {
            let indexPath = "\(directory)/index.json"
            var entries: [Descriptor] = []
            if FileSystem.exists(indexPath) {
                let data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
                do {
                    entries = try JSONDecoder().decode(ImageIndex.self, from: data).manifests
                } catch {
                    throw FerryFormatError.output(path: indexPath, reason: "existing index.json is not an OCI index: \(error)")
                }
            }
            let ours = plan.images.map(BundleMetadata.indexEntry)
            let names = Set(ours.compactMap { $0.annotations?[AnnotationKey.refName] })
            entries.removeAll { entry in entry.annotations?[AnnotationKey.refName].map(names.contains) ?? false }
            entries += ours
            try FileSystem.writeAtomically(try BundleMetadata.indexJSON(entries), to: indexPath)
        }
        return DestinationResult(path: directory, contentIndexDigest: nil, bytesWritten: mutex.withLock { added })
    }

    /// Creates the layout skeleton, refusing a non-empty directory that is not a layout.
    static func prepareDirectory(_ directory: String) throws {
        if FileSystem.isDirectory(directory) {
            let contents: [String]
            do {
                contents = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw FerryFormatError.output(path: directory, reason: "cannot list the directory")
            }
            if !contents.isEmpty && !contents.contains("oci-layout") {
                throw FerryFormatError.output(path: directory, reason: "is a non-empty directory without an oci-layout file")
            }
        }
        try FileSystem.makeDirectories("\(directory)/blobs/sha256")
        if !FileSystem.exists("\(directory)/oci-layout") {
            try FileSystem.writeAtomically(BundleMetadata.ociLayout, to: "\(directory)/oci-layout")
        }
    }
}

/// One blob being written into a layout.
final class LayoutBlobSession: BlobWriteSession, @unchecked Sendable {
    private let writer: VerifiedFileWriter
    private let mutex = Mutex()
    private let onFinish: @Sendable (Int64) -> Void

    init(writer: VerifiedFileWriter, onFinish: @escaping @Sendable (Int64) -> Void) {
        self.writer = writer
        self.onFinish = onFinish
    }

    var received: Int64 { mutex.withLock { writer.received } }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        try mutex.withLock { try writer.write(buffer) }
    }

    func restart() throws {
        try mutex.withLock { try writer.reset() }
    }

    func finish() throws {
        let size = try mutex.withLock { () throws -> Int64 in
            let size = writer.received
            try writer.commit()
            return size
        }
        onFinish(size)
    }
}
