import Foundation

/// `--split-size`: how large one part of a split bundle may be.
///
/// Parts are for media with a hard ceiling (FAT32 sticks, DVDs, transfer portals with a file
/// limit), so the units are the ones media are labelled in: `K`, `M`, `G`, `T` are powers of
/// 1000 (`4.7G` fits a single-layer DVD), `Ki`, `Mi`, `Gi`, `Ti` (and `KiB`…) powers of 1024.
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

    /// Parses `fat32`, a byte count, or a number with a unit (`700M`, `4.7G`, `4GiB`, `512Ki`).
    /// Nil for anything else, or for a size below `minimum`.
    public static func parse(_ text: String) -> SplitSize? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "fat32" { return .fat32 }
        let units: [(String, Double)] = [
            ("KiB", 0x1p10), ("MiB", 0x1p20), ("GiB", 0x1p30), ("TiB", 0x1p40),
            ("Ki", 0x1p10), ("Mi", 0x1p20), ("Gi", 0x1p30), ("Ti", 0x1p40),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12),
            ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("B", 1),
        ]
        var number = Substring(trimmed)
        var multiplier = 1.0
        for (suffix, value) in units where trimmed.uppercased().hasSuffix(suffix.uppercased()) {
            // `Ki` vs `K`: the longer suffixes come first; match case-insensitively but keep
            // binary units distinguishable (`ki`/`KI` both mean 1024).
            number = trimmed.dropLast(suffix.count)
            multiplier = value
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number), value > 0 else { return nil }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes.isFinite, bytes < Double(Int64.max) else { return nil }
        // "Strictly below the limit": a 4G limit gives parts of at most 3,999,999,999 bytes.
        let limit = Int64(bytes) - 1
        guard limit >= minimum else { return nil }
        return SplitSize(maxPartSize: limit)
    }
}
