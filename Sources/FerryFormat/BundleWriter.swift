import Dispatch
public import FerryArchive
public import FerryCore
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Which members a bundle tar carries (`--bundle-format`).
public enum BundleFormat: String, Sendable, CaseIterable {
    /// OCI layout + docker-archive + content index: every reader finds its side.
    case ferry
    /// A pure OCI layout in a tar (`formats/oci-archive/`).
    case ociArchive = "oci-archive"
    /// The `docker save` shape only (`formats/docker-archive/`): single-platform images.
    case dockerArchive = "docker-archive"
}

/// Writes a ferry bundle: one tar that is an OCI layout, a docker-archive and carries the
/// content index (`formats/ferry-bundle/SPEC.md`); or, with another `BundleFormat`, only the
/// OCI side or only the docker side, through the same planned, parallel, atomic writer.
///
/// The whole tar is planned before the first blob arrives (sizes come from the manifests), so
/// each blob has a fixed slot and all of them are written in parallel, straight into place,
/// hashed on the way: every byte is written once and never copied. Until `commit`, the file is
/// `.<name>.ferry-partial` in the output's directory with a journal of verified blobs beside
/// it; a rerun with the same plan re-checks the journaled slots and fetches only the rest.
/// `commit` fsyncs and renames, so the output name only ever holds a complete bundle.
public final class BundleWriter: ImageDestination, @unchecked Sendable {
    public let outputPath: String
    public let format: BundleFormat
    /// Signs the content index (ferry format only): a `ferry-index.json.sig` member and a
    /// `<output>.sig` sidecar.
    public let signingKey: SigningKey?
    /// Compress the finished tar as a whole (`--compress`): kind and level.
    public let compression: (kind: StreamCompressor.Kind, level: Int?)?
    /// Cut the tar into parts no larger than this (`--split-size`, SPEC.md §8).
    public let split: SplitSize?
    let partialPath: String
    let journalPath: String
    let created: Date
    /// Recorded in the content index: the plan and shard this bundle is (ferry format only).
    let planOrigin: ContentIndex.PlanOrigin?
    // Set once in `begin`, read-only afterwards (hence @unchecked Sendable).
    private var file: PositionalFile?
    private var journal: BundleJournal?
    private(set) var layout = TarLayout()
    private(set) var blobSlots: [Digest: TarLayout.Slot] = [:]
    /// The members before the blobs, in tar order, as planned (the content index included).
    private var metadata: [MeasuredMember] = []
    /// Kept from planning until `begin` has written it; its rows are made from the plan.
    private var contentIndex: CanonicalJSON.Document?
    private var contentIndexDigest: Digest?
    private(set) var signatureBytes: [UInt8] = []
    private var partPlan: PartPlan?
    /// Held from `begin` to the end of `commit` (or until the writer goes away): one writer per
    /// output name.
    private var lock: FileLock?

    public init(outputPath: String, created: Date = Date(), format: BundleFormat = .ferry, signingKey: SigningKey? = nil,
                compression: (kind: StreamCompressor.Kind, level: Int?)? = nil, split: SplitSize? = nil,
                planOrigin: ContentIndex.PlanOrigin? = nil) {
        self.outputPath = outputPath
        self.planOrigin = planOrigin
        self.compression = compression
        self.split = split
        self.format = format
        self.signingKey = format == .ferry ? signingKey : nil
        partialPath = BundleFiles(outputPath).partial
        journalPath = BundleFiles(outputPath).journal
        self.created = created
    }

    public func begin(_ plan: CopyPlan) async throws -> Set<Digest> {
        let directory = FileSystem.directoryName(outputPath)
        guard FileSystem.isDirectory(directory) else {
            throw FerryFormatError.output(path: outputPath, reason: "directory \(directory) does not exist")
        }
        switch FileSystem.kind(atPath: outputPath) {
        case nil, .regular?: break
        case .directory?:
            throw FerryFormatError.output(path: outputPath, reason: "is a directory (use a trailing / or --layout for a layout directory)")
        case .symbolicLink?:
            // Renaming over a link replaces the link, not what it points to (issue 15, item 8).
            throw FerryFormatError.output(path: outputPath, reason: "is a symbolic link; ferry publishes a bundle by renaming it into place, which would replace the link: give the link's target, or remove the link")
        case .other(let kind)?:
            // A FIFO, a device (/dev/stdout) or a socket would be replaced by a regular file.
            throw FerryFormatError.output(path: outputPath, reason: "is \(kind); ferry writes bundles to regular files only")
        }
        if format == .dockerArchive {
            for image in plan.images where BundleMetadata.loadableNode(image) == nil {
                throw FerryFormatError.output(path: outputPath,
                                              reason: "\(image.name) is multi-platform or not a container image; a docker-archive holds single-platform images only (choose one with --platform os/arch)")
            }
        }
        if split != nil && compression != nil {
            throw FerryFormatError.output(path: outputPath, reason: "a split bundle cannot also be compressed (choose --split-size or --compress)")
        }
        let lockPath = BundleFiles(outputPath).lock
        guard let lock = try FileLock.acquire(lockPath) else {
            throw FerryFormatError.output(path: outputPath, reason: "another ferry is writing it (it holds \(lockPath)); wait for that export to end, or choose another name")
        }
        self.lock = lock
        try removeStaleTemporaries()
        try planLayout(plan)
        let planID = planIdentity()
        let slots = blobSlots
        let layout = self.layout
        let partials = partialFiles()
        let (file, journal, reused) = try await Blocking.run { [partialPath, journalPath] in
            // Partial parts of an earlier plan with more parts would linger: remove them.
            var stale = partials.count > 1 ? partials.count : 0
            while FileSystem.exists(BundleFiles(partialPath).part(stale)) {
                FileSystem.remove(BundleFiles(partialPath).part(stale))
                stale += 1
            }
            return try BundleJournal.open(partials: partials, journalPath: journalPath, planID: planID, slots: slots, plan: plan)
        }
        self.file = file
        self.journal = journal
        let signatureBytes = self.signatureBytes
        let metadata = self.metadata
        let contentIndex = self.contentIndex
        let format = self.format
        try await Blocking.run { [layout, outputPath] in
            for slot in layout.slots { try file.write(slot.header, at: slot.headerOffset) }
            for member in metadata {
                guard let slot = layout.slots.first(where: { $0.member.name == member.name }) else { continue }
                if member.name == ContentIndex.memberName {
                    guard let contentIndex else { continue }
                    try Self.write(contentIndex, expected: member, into: file, at: slot.dataOffset, outputPath: outputPath)
                } else if let kind = MetadataMember(rawValue: member.name) {
                    try Self.write(try kind.document(plan, format: format), expected: member, into: file,
                                   at: slot.dataOffset, outputPath: outputPath)
                }
            }
            if !signatureBytes.isEmpty, let slot = layout.slots.first(where: { $0.member.name == BundleSignature.memberName }) {
                try file.write(signatureBytes, at: slot.dataOffset)
            }
            for blob in plan.blobs {
                guard let bytes = blob.bytes, let slot = slots[blob.descriptor.digest] else { continue }
                // In-memory blobs were verified when fetched (or built here); check again, cheaply.
                try Self.verify(bytes, blob.descriptor)
                try file.write(bytes, at: slot.dataOffset)
            }
            try file.write(TarHeader.endOfArchive, at: layout.endOfMembers)
        }
        self.contentIndex = nil
        return reused.union(plan.blobs.filter { $0.bytes != nil }.map(\.descriptor.digest))
    }

    public func target(for blob: CopyPlan.Blob) throws -> any BlobWriteSession {
        guard let file, let journal, let slot = blobSlots[blob.descriptor.digest] else {
            throw FerryFormatError.output(path: outputPath, reason: "blob \(blob.descriptor.digest) is not in the plan")
        }
        return SlotWriter(file: file, offset: slot.dataOffset, descriptor: blob.descriptor, journal: journal)
    }

    public func commit() async throws -> DestinationResult {
        guard let file, let journal else { throw FerryFormatError.output(path: outputPath, reason: "commit before begin") }
        let total = layout.totalSize
        let digest = contentIndexDigest
        let compression = self.compression
        if let partPlan {
            let parts = try await commitParts(file, journal: journal, plan: partPlan, contentIndexDigest: digest)
            lock?.release()
            return DestinationResult(path: outputPath, contentIndexDigest: digest, bytesWritten: total, parts: parts)
        }
        let written = try await Blocking.run { [partialPath, outputPath, signingKey, signatureBytes] () throws -> Int64 in
            var written = total
            if let compression {
                // One sequential pass of the finished tar through the compressor into a
                // temporary name beside the output; the tar's offsets (content index) stay
                // those of the uncompressed stream, which readers decompress first.
                written = try Self.compress(file, size: total, into: outputPath, kind: compression.kind, level: compression.level)
                try file.close()
                FileSystem.remove(partialPath)
            } else {
                try file.sync()
                // Publish the file this writer wrote, and no other (issue 15, item 6).
                guard file.isSameFile(as: partialPath) else {
                    throw FerryFormatError.output(path: outputPath, reason: "\(partialPath) was replaced while ferry wrote it; not publishing it")
                }
                try file.close()
                try FileSystem.commitRename(from: partialPath, to: outputPath)
            }
            try journal.remove()
            // The sidecar travels separately (or is kept at the sending side) so a verifier can
            // check a bundle whose own signature member was stripped or replaced.
            if signingKey != nil { try FileSystem.writeAtomically(signatureBytes + [0x0a], to: BundleFiles(outputPath).signature) }
            return written
        }
        lock?.release()
        return DestinationResult(path: outputPath, contentIndexDigest: digest, bytesWritten: written)
    }

    /// Removes `.<name>.tmp-*` files a compressing export left when it was killed (issue 15,
    /// item 16). Safe under the output's lock: no other ferry is writing this name.
    private func removeStaleTemporaries() throws {
        let directory = FileSystem.directoryName(outputPath)
        let prefix = FileSystem.temporaryNamePrefix(for: outputPath)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(prefix) && FileSystem.kind(atPath: "\(directory)/\(name)") == .regular {
            FileSystem.remove("\(directory)/\(name)")
        }
    }

    /// Plans the member order: metadata, then directories, then every blob. The content index
    /// records blob offsets that depend on its own padded size, so its size is fixed first by
    /// iterating until it stops changing (twice at most in practice). Every metadata member is
    /// measured here and dropped; `begin` makes each again as it writes it.
    private func planLayout(_ plan: CopyPlan) throws {
        let fixed = try MetadataMember.members(of: format).map { kind in
            let measured = try kind.document(plan, format: format).measure()
            return MeasuredMember(name: kind.rawValue, size: measured.size, digest: measured.digest)
        }
        var assumedSize = 0
        // The docker side needs configs and layers only; manifests travel in the OCI side.
        let blobs = format == .dockerArchive ? plan.blobs.filter { !$0.descriptor.mediaType.isManifest } : plan.blobs
        for _ in 0..<8 {
            var layout = TarLayout()
            for member in fixed { try layout.append(TarMember(name: member.name, size: Int64(member.size))) }
            if format == .ferry { try layout.append(TarMember(name: ContentIndex.memberName, size: Int64(assumedSize))) }
            if let signingKey { try layout.append(TarMember(name: BundleSignature.memberName, size: Int64(BundleSignature.encodedSize(for: signingKey)))) }
            try layout.append(TarMember(name: "blobs", size: 0, kind: .directory))
            try layout.append(TarMember(name: "blobs/sha256", size: 0, kind: .directory))
            var slots: [Digest: TarLayout.Slot] = [:]
            slots.reserveCapacity(blobs.count)
            for blob in blobs {
                guard blob.descriptor.digest.algorithm == .sha256 else {
                    throw FerryFormatError.output(path: outputPath, reason: "blob \(blob.descriptor.digest): only sha256 blobs can be bundled")
                }
                slots[blob.descriptor.digest] = try layout.append(TarMember(name: blob.descriptor.digest.layoutPath, size: blob.descriptor.size))
            }
            // The cuts depend on the layout, which depends on the content index's size, which
            // records the cuts: settled by the same iteration.
            let parts = split.map { PartPlan.cut(layout, maxPartSize: $0.maxPartSize) }
            guard format == .ferry else {
                (self.layout, partPlan, blobSlots, metadata) = (layout, parts, slots, fixed)
                return
            }
            let document = try BundleMetadata.contentIndex(plan, offsets: slots, created: created) { [planOrigin] index in
                index.parts = parts.map { ContentIndex.Parts(maxPartSize: $0.maxPartSize, sizes: $0.sizes) }
                index.plan = planOrigin
                index.members = Dictionary(fixed.map { ($0.name, $0.digest) }, uniquingKeysWith: { a, _ in a })
            }
            let measured = try document.measure()
            if measured.size == assumedSize {
                (self.layout, partPlan, blobSlots) = (layout, parts, slots)
                metadata = fixed + [MeasuredMember(name: ContentIndex.memberName, size: measured.size, digest: measured.digest)]
                contentIndex = document
                contentIndexDigest = measured.digest
                if let signingKey {
                    // The signature covers the bytes themselves: a signed bundle holds its
                    // content index whole for as long as signing takes.
                    signatureBytes = try BundleSignature.sign(try document.bytes(), with: signingKey).encoded()
                    guard signatureBytes.count == BundleSignature.encodedSize(for: signingKey) else {
                        throw FerryFormatError.output(path: outputPath, reason: "signature has an unexpected length")
                    }
                }
                return
            }
            assumedSize = measured.size
        }
        throw FerryFormatError.output(path: outputPath, reason: "content index size did not settle")
    }

    /// The partial file(s) to write: one, or one per planned part.
    private func partialFiles() -> [(path: String, length: Int64)] {
        guard let partPlan else { return [(partialPath, layout.totalSize)] }
        return partPlan.sizes.enumerated().map { (BundleFiles(partialPath).part($0.offset), $0.element) }
    }

    /// Identifies the blob layout, so a rerun knows whether the journaled slots still apply.
    private func planIdentity() -> String {
        var hasher = DigestHasher()
        if let partPlan { hasher.update(Array("parts \(partPlan.sizes)\n".utf8)) }
        for slot in layout.slots where slot.member.kind == .file {
            hasher.update(Array("\(slot.member.name) \(slot.dataOffset) \(slot.member.size)\n".utf8))
        }
        hasher.update(Array("total \(layout.totalSize)\n".utf8))
        return hasher.finalize().description
    }
}
