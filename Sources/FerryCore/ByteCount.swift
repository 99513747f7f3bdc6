import Foundation

/// Sizes and rates as users type them, one rule for every option (`--split-size`,
/// `--chunk-size`, `--limit-rate`, `--min-rate`): a byte count, or a number with a unit, where
/// `K`, `M`, `G`, `T` are powers of 1000 and `Ki`, `Mi`, `Gi`, `Ti` powers of 1024, each with an
/// optional `B` (`4.7G`, `700MB`, `64Mi`, `4GiB`). Case does not matter; the `i` marks a binary
/// unit. Powers of 1000 are what disks, DVDs and link speeds are labelled in, so `--split-size
/// 4.7G` fits a DVD and `--limit-rate 20M` is 20 MB/s (issue 16: the split size read `M` as 10^6
/// while the other options read it as 2^20).
public enum ByteCount {
    private static let units: [(suffix: String, factor: Double)] = [
        ("KIB", 0x1p10), ("MIB", 0x1p20), ("GIB", 0x1p30), ("TIB", 0x1p40),
        ("KI", 0x1p10), ("MI", 0x1p20), ("GI", 0x1p30), ("TI", 0x1p40),
        ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12),
        ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("B", 1),
    ]

    /// The number of bytes `text` denotes (a fraction rounded down), or nil when it is not a
    /// positive size in this grammar (no signs, exponents or spaces inside).
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        var number = Substring(trimmed)
        var factor = 1.0
        // Longer suffixes come first, so `KiB` is not read as `B` after a number `1Ki`.
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            factor = unit.factor
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value > 0 else { return nil }
        let bytes = (value * factor).rounded(.down)
        guard bytes >= 1, bytes < Double(Int64.max) else { return nil }
        return Int64(bytes)
    }

    /// `bytes` for people, in binary units with one decimal (`1.5 MiB`); the unit says which.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
