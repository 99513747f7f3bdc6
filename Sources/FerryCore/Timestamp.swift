public import Foundation

/// The one form of time ferry writes into what it makes and reads back from it: RFC 3339 in
/// UTC with whole seconds (`2026-12-07T00:00:00Z`). A content index's `created` and a plan's
/// `created` are written this way, and a shard's export reads its plan's back, so the two must
/// not drift apart.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        formatter().string(from: date)
    }

    /// The time `text` names, or nil when it is not in this form.
    public static func date(_ text: String) -> Date? {
        formatter().date(from: text)
    }

    private static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }
}
