/// What a `Range` request header asks of a blob of `length` bytes (RFC 9110 §14.1.2, §14.2).
///
/// Written here rather than taken from a server library: Hummingbird's file middleware gets a
/// suffix range (`bytes=-500`) and starts past the end wrong, and a resumed pull depends on
/// exactly these answers. Only one range is served; the RFC lets a server ignore a header it
/// will not honour, so several ranges, other units and malformed headers get the whole blob.
public enum ByteRange: Equatable, Sendable {
    /// No range, or one ferry ignores: 200 with every byte.
    case whole
    /// 206 with bytes `lower...upper` (inclusive, as in `Content-Range`).
    case part(lower: Int64, upper: Int64)
    /// 416 with `Content-Range: bytes */<length>`: no byte of the blob is in the range.
    case unsatisfiable

    /// Reads `header` (the `Range` field's value, or nil) against a blob of `length` bytes.
    public init(header: String?, length: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let text = header.trimmingSpaces
        guard text.hasPrefix("bytes="), length >= 0 else {
            self = .whole
            return
        }
        let spec = String(text.dropFirst("bytes=".count)).trimmingSpaces
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = String(spec[..<dash]).trimmingSpaces
        let last = String(spec[spec.index(after: dash)...]).trimmingSpaces
        if first.isEmpty {
            // bytes=-N: the last N bytes (all of them when the blob is shorter).
            guard let suffix = Self.number(last) else {
                self = .whole
                return
            }
            guard suffix > 0, length > 0 else {
                self = .unsatisfiable
                return
            }
            self = .part(lower: max(length - suffix, 0), upper: length - 1)
            return
        }
        guard let lower = Self.number(first) else {
            self = .whole
            return
        }
        var upper = Int64.max
        if !last.isEmpty {
            guard let value = Self.number(last) else {
                self = .whole
                return
            }
            // A last position before the first makes the range invalid: ignored, not refused.
            guard value >= lower else {
                self = .whole
                return
            }
            upper = value
        }
        guard lower < length else {
            self = .unsatisfiable
            return
        }
        self = .part(lower: lower, upper: min(upper, length - 1))
    }

    /// A non-negative decimal; past Int64 it saturates (a position no blob reaches).
    /// Nil for anything but digits.
    private static func number(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value: Int64 = 0
        for digit in text.utf8 {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(digit - 0x30))
            if overflowTimes || overflowSum { return .max }
            value = sum
        }
        return value
    }

    /// The `Content-Range` value of a 206 or 416 answer for a blob of `length` bytes; nil for 200.
    public func contentRange(length: Int64) -> String? {
        switch self {
        case .whole: return nil
        case .part(let lower, let upper): return "bytes \(lower)-\(upper)/\(length)"
        case .unsatisfiable: return "bytes */\(length)"
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional white space).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
