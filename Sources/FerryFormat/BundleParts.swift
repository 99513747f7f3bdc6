public import FerryArchive
public import FerryCore
import Foundation

/// Where a split bundle's tar is cut into parts (`--split-size`, SPEC.md §8).
///
/// The tar itself is the same as an unsplit one: the parts are consecutive byte ranges of it,
/// so `cat site-a.tar.part-* > site-a.tar` gives an ordinary bundle. Cuts fall on member
/// boundaries wherever a member fits in a part of its own ("whole-blob placement"): a damaged
/// or lost part then affects only the blobs inside it. A member larger than a part starts where
/// the previous one ended and continues over as many parts as it needs.
public struct PartPlan: Sendable, Equatable {
    public let maxPartSize: Int64
    /// Each part's length, in order; they add up to the tar's size.
    public let sizes: [Int64]

    /// Where each part starts in the tar.
    public var starts: [Int64] {
        var result: [Int64] = []
        var position: Int64 = 0
        for size in sizes {
            result.append(position)
            position += size
        }
        return result
    }

    /// Cuts `layout` so that no part is over `maxPartSize`.
    public static func cut(_ layout: TarLayout, maxPartSize: Int64) -> PartPlan {
        let headers = layout.slots.map(\.headerOffset)
        return cut(headerOffsets: headers, endOfMembers: layout.endOfMembers, totalSize: layout.totalSize, maxPartSize: maxPartSize)
    }

    /// Cuts a tar given where each member's header starts, where the last member's padding
    /// ends, and the tar's total size (end-of-archive blocks included).
    public static func cut(headerOffsets: [Int64], endOfMembers: Int64, totalSize: Int64, maxPartSize: Int64) -> PartPlan {
        var extents: [(start: Int64, end: Int64)] = []
        for (index, start) in headerOffsets.enumerated() {
            extents.append((start, index + 1 < headerOffsets.count ? headerOffsets[index + 1] : endOfMembers))
        }
        extents.append((endOfMembers, totalSize))  // the end-of-archive marker
        var cuts: [Int64] = [0]
        var partStart: Int64 = 0
        for extent in extents {
            if extent.end - partStart <= maxPartSize { continue }
            if extent.start > partStart && extent.end - extent.start <= maxPartSize {
                // The member fits in a part of its own: start one, rather than split the member.
                cuts.append(extent.start)
                partStart = extent.start
                continue
            }
            // Larger than a part: fill this part and continue in the next ones.
            while extent.end - partStart > maxPartSize {
                partStart += maxPartSize
                cuts.append(partStart)
            }
        }
        var sizes: [Int64] = []
        for (index, start) in cuts.enumerated() {
            let end = index + 1 < cuts.count ? cuts[index + 1] : totalSize
            sizes.append(end - start)
        }
        return PartPlan(maxPartSize: maxPartSize, sizes: sizes)
    }
}

/// The part index, `<bundle>.parts.json`: a small sidecar that says how many parts a split
/// bundle has, their sizes and SHA-256, and which blobs live in which part. Written last, after
/// every part is complete. Spec: `formats/ferry-bundle/SPEC.md` §8.
public struct PartIndex: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.ferry.bundle.parts.v1+json"

    public struct Part: Codable, Sendable, Equatable {
        /// File name (no directory): `site-a.tar.part-000`.
        public var name: String
        /// Where the part starts in the joined tar.
        public var offset: Int64
        public var size: Int64
        /// Lowercase hex SHA-256 of the part file.
        public var sha256: String
        /// Blobs whose bytes lie (at least partly) in this part.
        public var blobs: [Digest]
    }

    public var schemaVersion: Int
    public var mediaType: String
    /// File name of the joined bundle the parts make up.
    public var bundle: String
    /// SHA-256 of the bundle's content index (ferry format), tying the parts to it.
    public var contentIndexDigest: Digest?
    public var maxPartSize: Int64
    public var totalSize: Int64
    public var parts: [Part]

    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.encode(self, pretty: true) + [0x0a]
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> PartIndex {
        let index: PartIndex
        do {
            index = try JSONDecoder().decode(PartIndex.self, from: Data(bytes))
        } catch {
            throw FerryFormatError.input(path: path, reason: "is not a ferry part index: \(error)")
        }
        guard index.schemaVersion == 1 else {
            throw FerryFormatError.input(path: path, reason: "schemaVersion \(index.schemaVersion) is newer than this ferry understands (1)")
        }
        guard !index.parts.isEmpty else { throw FerryFormatError.input(path: path, reason: "lists no parts") }
        for part in index.parts {
            // Names come from the file and are joined to a directory: never let one leave it.
            guard !part.name.isEmpty, !part.name.contains("/"), part.name != "..", part.name != "." else {
                throw FerryFormatError.input(path: path, reason: "part name \"\(part.name)\" is not a plain file name")
            }
        }
        return index
    }

    /// `SHA256SUMS` lines (`<hex>  <name>`) for the parts, as `sha256sum -c` reads them.
    public var checksumLines: String {
        parts.map { "\($0.sha256)  \($0.name)\n" }.joined()
    }
}
