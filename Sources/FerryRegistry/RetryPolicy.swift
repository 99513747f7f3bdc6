import Foundation

/// How often and how patiently failed requests are repeated: exponential backoff with jitter,
/// and a server's `Retry-After` honoured (capped, so a hostile value cannot stall us forever).
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var baseDelay: Double
    public var maximumDelay: Double

    /// 429 Too Many Requests and the 5xx statuses that mean "try again".
    public static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    public init(maximumAttempts: Int = 5, baseDelay: Double = 0.5, maximumDelay: Double = 30) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// Seconds to wait before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Self.parseRetryAfter(retryAfter) {
            return min(max(seconds, 0), maximumDelay)
        }
        let exponential = baseDelay * pow(2, Double(max(0, attempt - 1)))
        return min(exponential * Double.random(in: 0.75...1.25), maximumDelay)
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return date.timeIntervalSinceNow
    }
}
