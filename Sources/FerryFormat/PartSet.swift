import FerryArchive
public import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The parts of a split bundle, found from whatever name the user gave: the first (or any)
/// part, the part index `<bundle>.parts.json`, or the joined name `<bundle>` when only its parts
/// exist. Opened as one `PositionalFile`, so readers read across parts without joining them.
///
/// Opening checks the set before anything reads blobs: every part is present and has its
/// planned size (from the part index, or else from the content index inside the bundle), the
/// part index belongs to this bundle (its content index digest), and every blob member sits at
/// the offset the content index gives. A missing, truncated, swapped or foreign part is named.
public struct PartSet: Sendable {
    /// The joined bundle's path (`site-a.tar`); the parts are `site-a.tar.part-NNN`.
    public let base: String
    public let parts: [(path: String, size: Int64)]
    public let index: PartIndex?

    /// The split bundle `path` names, or nil when it names an ordinary file or directory.
    public static func locate(_ path: String) throws -> PartSet? {
        let base: String
        if path.hasSuffix(".parts.json") {
            base = String(path.dropLast(".parts.json".count))
        } else if let range = path.range(of: #"\.part-[0-9]{3,}$"#, options: .regularExpression) {
            base = String(path[..<range.lowerBound])
        } else if !FileSystem.exists(path), FileSystem.exists(BundleFiles(path).part(0)) {
            base = path
        } else {
            return nil
        }
        let indexPath = BundleFiles(base).partIndex
        if FileSystem.exists(indexPath) {
            guard let size = FileSystem.fileSize(indexPath), size <= 64 << 20 else {
                throw FerryFormatError.input(path: indexPath, reason: "is not a regular file under 64 MiB")
            }
            let index = try PartIndex.decode(try Self.readFile(indexPath, size: size), path: indexPath)
            let directory = FileSystem.directoryName(base)
            var parts: [(path: String, size: Int64)] = []
            for (number, part) in index.parts.enumerated() {
                let partPath = "\(directory)/\(part.name)"
                guard let actual = FileSystem.fileSize(partPath) else {
                    throw FerryFormatError.damaged(path: base, reason: "part \(number) of \(index.parts.count) (\(part.name)) is missing\(Self.holding(part.blobs))")
                }
                guard actual == part.size else {
                    throw FerryFormatError.damaged(path: base,
                                                   reason: "part \(number) of \(index.parts.count) (\(part.name)) has \(actual) bytes, the part index says \(part.size)\(actual < part.size ? " (truncated: an interrupted copy?)" : "")\(Self.holding(part.blobs))")
                }
                parts.append((partPath, part.size))
            }
            return PartSet(base: base, parts: parts, index: index)
        }
        // No part index: take the consecutive parts on disk; the content index checks them.
        var parts: [(path: String, size: Int64)] = []
        while let size = FileSystem.fileSize(BundleFiles(base).part(parts.count)) {
            parts.append((BundleFiles(base).part(parts.count), size))
        }
        guard !parts.isEmpty else {
            throw FerryFormatError.damaged(path: base, reason: "part 0 (\(BundleFiles(base).part(0))) is missing")
        }
        return PartSet(base: base, parts: parts, index: nil)
    }

    /// Opens the parts as one file and checks them against the bundle's own content index.
    public func open() throws -> PositionalFile {
        let file = try PositionalFile(parts: parts.map { (path: $0.path, length: $0.size) }, flags: O_RDONLY)
        try check(file)
        return file
    }

    /// Which part holds byte `offset` of the joined tar, for messages.
    public func describe(offset: Int64) -> String {
        guard let (number, inside) = locate(offset) else { return "after the last part" }
        return "part \(number) (\(Self.fileName(parts[number].path)), byte \(inside))"
    }

    /// "part N (file)", without the offset inside it.
    func describePart(offset: Int64) -> String {
        guard let (number, _) = locate(offset) else { return "after the last part" }
        return "part \(number) (\(Self.fileName(parts[number].path)))"
    }

    /// The part holding byte `offset` of the joined tar, and the offset inside it.
    private func locate(_ offset: Int64) -> (part: Int, offset: Int64)? {
        var start: Int64 = 0
        for (number, part) in parts.enumerated() {
            if offset < start + part.size { return (number, offset - start) }
            start += part.size
        }
        return nil
    }

    private func check(_ file: PositionalFile) throws {
        let scan = try TarScanner(file: file).scanAllowingDamage()
        var members: [String: ScannedTarMember] = [:]
        // An unsafe member name is refused, with its reason, by the store that reads the parts
        // next; here it is only left unmatched.
        for member in scan.members {
            if let name = try? MemberName.normalise(member.name), members[name] == nil { members[name] = member }
        }
        var contentIndex: ContentIndex?
        var contentIndexPart: String?
        if let member = members[ContentIndex.memberName], member.size <= 256 << 20 {
            let bytes = try Self.read(file, offset: member.dataOffset, size: member.size)
            do {
                let index = try ContentIndex.decode(bytes)
                contentIndex = index
                contentIndexPart = describePart(offset: member.dataOffset)
                if let expected = index.parts {
                    try checkSizes(expected, blobs: index.blobs)
                }
                if let recorded = self.index?.contentIndexDigest, recorded != DigestHasher.digest(of: bytes) {
                    throw FerryFormatError.damaged(path: base,
                                                   reason: "\(describePart(offset: member.dataOffset)) holds content index \(DigestHasher.digest(of: bytes)), but the part index \(Self.fileName(BundleFiles(base).partIndex)) names \(recorded): that part (or the part index) comes from another bundle")
                }
            } catch let error as FerryFormatError {
                throw error
            } catch {
                // An undecodable content index is the verifier's to report (with evidence);
                // here it only means the parts cannot be cross-checked against it.
                contentIndex = nil
            }
        }
        if let damage = scan.damage {
            var reason = "\(damage)"
            if case .malformedHeader(_, let offset, _) = damage {
                reason = "no valid tar header at \(describe(offset: offset)): a part from another bundle, or parts in the wrong order? (\(damage))"
            }
            throw FerryFormatError.damaged(path: base, reason: reason)
        }
        guard let contentIndex else { return }
        // Blob members must sit where the content index put them. The first place where the
        // tar and the plan disagree names the part to blame: a foreign or misplaced part shows
        // its own members (or none) from its first byte on.
        let planned = Dictionary(contentIndex.blobs.map { ($0.digest.layoutPath, $0) }, uniquingKeysWith: { a, _ in a })
        var firstBad: (offset: Int64, what: String)?
        for member in scan.members where member.kind == .file {
            guard let name = try? MemberName.normalise(member.name), name.hasPrefix("blobs/") else { continue }
            if let blob = planned[name], blob.offset == member.dataOffset, blob.size == member.size { continue }
            firstBad = (member.headerOffset, "holds member \(name), which the content index does not place there")
            break
        }
        for blob in contentIndex.blobs {
            let member = members[blob.digest.layoutPath]
            if member?.dataOffset != blob.offset || member?.size != blob.size, blob.offset < (firstBad?.offset ?? .max) {
                firstBad = (blob.offset, "does not hold blob \(blob.digest) where the content index puts it")
                break
            }
        }
        if let firstBad {
            let blamed = describePart(offset: firstBad.offset)
            let suspects = contentIndexPart.map { $0 == blamed ? blamed : "\(blamed) or \($0), which holds the content index," } ?? blamed
            throw FerryFormatError.damaged(path: base,
                                           reason: "\(describe(offset: firstBad.offset)) \(firstBad.what): \(suspects) comes from another bundle, or the parts are in the wrong order")
        }
    }

    /// Compares the parts on disk with the sizes the content index planned.
    private func checkSizes(_ expected: ContentIndex.Parts, blobs: [ContentIndex.Blob]) throws {
        let total = expected.sizes.count
        var start: Int64 = 0
        for (number, size) in expected.sizes.enumerated() {
            let name = Self.fileName(BundleFiles(base).part(number))
            // Which blobs the part holds, worked out only for a part that is wrong (for every
            // part, it was parts × blobs work on each open of a split bundle).
            let partStart = start
            var inside: [Digest] {
                blobs.filter { $0.offset < partStart + size && $0.offset + max($0.size, 1) > partStart }.map(\.digest)
            }
            start += size
            guard number < parts.count else {
                throw FerryFormatError.damaged(path: base, reason: "part \(number) of \(total) (\(name)) is missing\(Self.holding(inside))")
            }
            guard parts[number].size == size else {
                throw FerryFormatError.damaged(path: base,
                                               reason: "part \(number) of \(total) (\(name)) has \(parts[number].size) bytes, the content index planned \(size)\(parts[number].size < size ? " (truncated: an interrupted copy?)" : " (a part from another bundle?)")\(Self.holding(inside))")
            }
        }
        if parts.count > total {
            throw FerryFormatError.damaged(path: base, reason: "has \(parts.count) parts but its content index planned \(total)")
        }
    }

    /// "; it holds blobs …" for a message about a lost part (the blobs whose bytes are gone).
    static func holding(_ blobs: [Digest]) -> String {
        guard !blobs.isEmpty else { return "; it holds metadata only, no blob data" }
        let listed = blobs.prefix(5).map(\.short).joined(separator: ", ")
        return "; it holds \(blobs.count) blob(s): \(listed)\(blobs.count > 5 ? ", …" : "")"
    }

    static func fileName(_ path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }

    static func read(_ file: PositionalFile, offset: Int64, size: Int64) throws -> [UInt8] {
        try BlobLocation(file: file, offset: offset, size: size, name: fileName(file.path)).readAll(limit: .max)
    }

    private static func readFile(_ path: String, size: Int64) throws -> [UInt8] {
        try read(PositionalFile(path: path, flags: O_RDONLY), offset: 0, size: size)
    }
}
