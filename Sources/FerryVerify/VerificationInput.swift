import FerryArchive
import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What `ferry verify` reads: the members of an uncompressed tar, found by one pass over its
/// headers, or the files of an OCI layout directory. Opening records every structural defect
/// (bad names, duplicates, odd member types, trailing bytes) in the problem log instead of
/// stopping; it throws only when the input cannot be read as an archive at all.
struct VerificationInput: Sendable {
    /// One regular file of the input.
    struct Member: Sendable {
        /// Normalised name (`formats/oci-archive/SPEC.md` rule 14), relative to the input.
        let name: String
        let size: Int64
        /// Where the data starts: in the tar, or 0 in a layout file.
        let dataOffset: Int64
        /// Where the header starts (tar only).
        let headerOffset: Int64?
    }

    /// A blob member: `blobs/<alg>/<hex>` with a valid digest.
    struct Blob: Sendable {
        let digest: Digest
        let member: Member
    }

    enum Container: Sendable {
        case tar(PositionalFile)
        case directory(String)
    }

    let path: String
    let container: Container
    let kind: VerificationReport.InputKind
    /// Regular files by normalised name (the first of duplicates).
    let members: [String: Member]
    /// Blob members in input order, the first of each name.
    let blobs: [Blob]
    /// Later members with the name of an earlier blob member: hashed too, because a reader that
    /// extracts the tar would take the later one.
    let shadowingBlobs: [Blob]
    /// False when the tar's member list could not be read to its end (a bad header or a
    /// truncated file): only the structural problem is known then.
    let listed: Bool

    /// The byte range of `member` as reported in problems: absolute in a tar, nil in a layout.
    func offset(of member: Member) -> Int64? {
        if case .tar = container { return member.dataOffset }
        return nil
    }

    /// Lists the members of an opened input: a layout directory or an uncompressed tar.
    static func open(_ bundle: BundleInput, log: inout ProblemLog) throws -> VerificationInput {
        switch bundle.content {
        case .directory(let path): return try directory(path, log: &log)
        case .tar(let file): return try tar(file, path: bundle.path, log: &log)
        }
    }

    /// Reads a small member whole (metadata, manifests).
    func read(_ member: Member, limit: Int64) throws -> [UInt8] {
        guard member.size <= limit else {
            throw FerryFormatError.input(path: member.name, reason: "is \(member.size) bytes, over the \(limit)-byte limit")
        }
        let (file, base) = try open(member)
        let bytes = try file.read(count: Int(member.size), at: base)
        guard bytes.count == member.size else {
            throw FerryFormatError.input(path: member.name, reason: "ends after \(bytes.count) of \(member.size) bytes")
        }
        return bytes
    }

    /// The file holding `member` and the offset of its first byte in that file.
    func open(_ member: Member) throws -> (PositionalFile, Int64) {
        switch container {
        case .tar(let file):
            return (file, member.dataOffset)
        case .directory(let root):
            return (try PositionalFile(path: "\(root)/\(member.name)", flags: O_RDONLY), 0)
        }
    }
}

// MARK: - Tar

extension VerificationInput {
    /// Metadata members of a ferry bundle, in the order SPEC.md rule 1.1 prescribes, followed by
    /// its two directories.
    static let bundlePrefix = ["oci-layout", "index.json", "manifest.json", "repositories", ContentIndex.memberName,
                               BundleSignature.memberName,
                               "blobs", "blobs/sha256"]

    /// `file`: the tar, or a split bundle's parts read as one, never compressed (`BundleInput`
    /// decompressed it, or refused compressed parts).
    private static func tar(_ file: PositionalFile, path: String, log: inout ProblemLog) throws -> VerificationInput {
        let fileSize = try file.size()
        let scanned: [ScannedTarMember]
        do {
            // Members before a truncation or damaged header are still listed and checked, so
            // the report can name the images whose blobs were lost after the cut.
            let result = try TarScanner(file: file).scanAllowingDamage()
            scanned = result.members
            if let damage = result.damage {
                try recordUnlistable(damage, path: path, fileSize: fileSize, log: &log)
                if scanned.isEmpty {
                    return VerificationInput(path: path, container: .tar(file), kind: .tar, members: [:], blobs: [],
                                             shadowingBlobs: [], listed: false)
                }
            }
            if result.trailingGarbage {
                let end = scanned.last.map { $0.dataOffset + $0.size + Int64(TarHeader.padding($0.size)) } ?? 0
                let start = try firstNonZeroByte(in: file, from: end, to: fileSize) ?? end
                log.add(.trailingGarbage, offset: start, length: fileSize - start, scope: .none,
                        "\(fileSize - start) bytes of data follow the end of the archive (first non-zero byte at \(start), the members end at \(end)); another file appended, or a copy that overran")
            }
        } catch let error as FerryArchiveError {
            try recordUnlistable(error, path: path, fileSize: fileSize, log: &log)
            return VerificationInput(path: path, container: .tar(file), kind: .tar, members: [:], blobs: [],
                                     shadowingBlobs: [], listed: false)
        }

        var members: [String: Member] = [:]
        var order: [String] = []
        var links: [(String, ScannedTarMember)] = []
        var linkNames = Set<String>()
        var shadowing: [(String, ScannedTarMember)] = []
        var directories = Set<String>()
        for entry in scanned {
            let name: String
            do {
                guard let normalised = try MemberName.normalise(entry.name) else { continue }
                name = normalised
            } catch {
                log.add(.unsafeMemberName, member: entry.name, offset: entry.headerOffset, scope: .none,
                        "member at byte \(entry.headerOffset) has an unsafe name: \(error)")
                continue
            }
            // A directory entry never claims a name for a file: import (TarBlobStore), GNU tar
            // and skopeo skip directories and read the file of that name, so verify does too
            // (issue 15, item 15: a blob after a same-named directory was reported missing).
            let claimed = members[name] != nil || linkNames.contains(name)
            if entry.kind == .directory && (claimed || directories.contains(name)) { continue }
            if claimed {
                shadowing.append((name, entry))
                continue
            }
            switch entry.kind {
            case .file:
                members[name] = Member(name: name, size: entry.size, dataOffset: entry.dataOffset, headerOffset: entry.headerOffset)
                order.append(name)
            case .directory:
                directories.insert(name)
                order.append(name)
            case .symlink, .hardlink:
                links.append((name, entry))
                linkNames.insert(name)
                order.append(name)
            case .other(let type):
                log.add(.unexpectedMember, member: name, offset: entry.headerOffset, scope: .none,
                        "member \(name) at byte \(entry.headerOffset) has tar type '\(Self.typeName(type))'; only files and directories belong in an image archive")
            }
        }
        let kind: VerificationReport.InputKind = members[ContentIndex.memberName] != nil
            ? .ferryBundle : members["manifest.json"] != nil ? .dockerArchive : .ociArchive

        for (name, entry) in links {
            // Links are tolerated only in a docker-archive's legacy part (oci-archive rule 17);
            // ferry never follows them, and a blob must be the bytes themselves.
            if kind != .dockerArchive || name.hasPrefix("blobs/") {
                log.add(.unexpectedMember, member: name, offset: entry.headerOffset, scope: .none,
                        "member \(name) at byte \(entry.headerOffset) is a link to \(entry.linkTarget ?? "?"); a \(kind.rawValue) must hold only files and directories")
            }
        }
        let (blobs, names) = blobMembers(order.compactMap { members[$0] }, log: &log)
        var shadowingBlobs: [Blob] = []
        for (name, entry) in shadowing {
            let duplicate = Member(name: name, size: entry.size, dataOffset: entry.dataOffset, headerOffset: entry.headerOffset)
            let digest = names[name]
            if let digest, entry.kind == .file { shadowingBlobs.append(Blob(digest: digest, member: duplicate)) }
            let scope: ProblemScope = digest.map { .blob($0) } ?? (["index.json", "manifest.json"].contains(name) ? .all : .none)
            let first = members[name].map { "the first is at byte \($0.headerOffset ?? 0)" } ?? "an earlier member has that name"
            log.add(.duplicateMember, member: name, digest: digest, offset: entry.headerOffset,
                    length: Int64(TarHeader.blockSize) + entry.size, scope: scope,
                    "member \(name) appears again at byte \(entry.headerOffset) (\(first)); a reader could take either copy")
        }
        if kind == .ferryBundle {
            checkBundleLayout(order: order, members: members, directories: directories, log: &log)
            checkHeaderConventions(scanned, log: &log)
        }
        return VerificationInput(path: path, container: .tar(file), kind: kind, members: members, blobs: blobs,
                                 shadowingBlobs: shadowingBlobs, listed: true)
    }

    /// A tar whose member list cannot be read to its end: not a tar at all (throws), or damaged
    /// part-way (recorded).
    private static func recordUnlistable(_ error: FerryArchiveError, path: String, fileSize: Int64,
                                         log: inout ProblemLog) throws {
        switch error {
        case .malformedHeader(_, let offset, let reason) where offset > 0:
            log.add(.tarHeader, offset: offset, length: Int64(TarHeader.blockSize), scope: .all,
                    "the tar header at byte \(offset) is unreadable (\(reason)); members after it cannot be listed")
        case .truncated(_, let member?):
            let digest = blobDigest(member)
            log.add(.truncated, member: member, digest: digest, offset: fileSize, scope: digest.map { .blob($0) } ?? .all,
                    "the file ends at byte \(fileSize), inside member \(member); it was cut short (an interrupted copy?)")
        case .truncated(_, nil) where fileSize >= 2 * Int64(TarHeader.blockSize):
            log.add(.truncated, offset: fileSize, scope: .all,
                    "the file ends at byte \(fileSize) without the end-of-archive marker; it was cut short (an interrupted copy?)")
        default:
            throw FerryFormatError.input(path: path, reason: "is not a readable tar: \(error)")
        }
    }

    /// Splits blob members from the rest, recording names under `blobs/` that are not digests.
    static func blobMembers(_ files: [Member], log: inout ProblemLog) -> ([Blob], [String: Digest]) {
        var blobs: [Blob] = []
        var names: [String: Digest] = [:]
        for member in files where member.name.hasPrefix("blobs/") {
            let parts = member.name.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            do {
                let digest = try Digest(parsing: "\(parts[1]):\(parts[2])")
                blobs.append(Blob(digest: digest, member: member))
                names[member.name] = digest
            } catch {
                log.add(.invalidBlobName, member: member.name, offset: member.headerOffset, scope: .none,
                        "member \(member.name) is not named by a valid digest: \(error)")
            }
        }
        return (blobs, names)
    }

    /// The digest a member name denotes, when it is `blobs/<alg>/<hex>`; nil for any other
    /// name (the name is only used to label a problem).
    static func blobDigest(_ name: String) -> Digest? {
        do {
            guard let normalised = try MemberName.normalise(name) else { return nil }
            return Digest(layoutPath: normalised)
        } catch {
            // Not a blob name: the problem is then labelled by the member name alone.
            return nil
        }
    }

    private static func typeName(_ type: UInt8) -> String {
        (0x20..<0x7f).contains(type) ? String(UnicodeScalar(type)) : "\\(\(type))"
    }
}
