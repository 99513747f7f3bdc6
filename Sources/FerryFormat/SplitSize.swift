import FerryCore
import Foundation

/// `--split-size`: how large one part of a split bundle may be.
///
/// Parts are for media with a hard ceiling (FAT32 sticks, DVDs, transfer portals with a file
/// limit), so the units are the ones media are labelled in (`ByteCount`): `K`, `M`, `G`, `T` are
/// powers of 1000 (`4.7G` fits a single-layer DVD), `Ki`, `Mi`, `Gi`, `Ti` (and `KiB`…) of 1024.
/// Every part is strictly below the size given. `fat32` means parts of at most 4 GiB − 1 byte,
/// the largest file FAT32 can hold. Spec: `formats/ferry-bundle/SPEC.md` §8.
public struct SplitSize: Sendable, Equatable, CustomStringConvertible {
    /// The largest a part may be, in bytes.
    public let maxPartSize: Int64

    /// The smallest allowed part: a few tar blocks, so a part can always make progress.
    public static let minimum: Int64 = 4096

    /// Parts of at most 4 GiB − 1 bytes.
    public static let fat32 = SplitSize(maxPartSize: (Int64(1) << 32) - 1)

    public init(maxPartSize: Int64) { self.maxPartSize = maxPartSize }

    public var description: String { "\(maxPartSize) bytes per part at most" }

    /// Parses `fat32`, or a size by the rule of `ByteCount` (`700M`, `4.7G`, `4GiB`, `512Ki`).
    /// Nil for anything else, or for a size below `minimum`.
    public static func parse(_ text: String) -> SplitSize? {
        if text.trimmingCharacters(in: .whitespaces).lowercased() == "fat32" { return .fat32 }
        guard let bytes = ByteCount.parse(text) else { return nil }
        // "Strictly below the limit": a 4G limit gives parts of at most 3,999,999,999 bytes.
        let limit = bytes - 1
        guard limit >= minimum else { return nil }
        return SplitSize(maxPartSize: limit)
    }
}
