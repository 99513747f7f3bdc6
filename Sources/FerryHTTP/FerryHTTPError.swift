/// Failures of the HTTP transport. URLs in here are always redacted (no query, no user info),
/// because signed redirect URLs carry credentials in their query string.
public enum FerryHTTPError: Error, Sendable, CustomStringConvertible {
    /// libcurl failed: its code, its own message, and the redacted URL.
    case transport(code: Int32, message: String, url: String)
    /// The URL could not be parsed or uses a scheme other than http/https.
    case invalidURL(String)
    /// A response body was larger than the caller allows.
    case bodyTooLarge(limit: Int, url: String)
    /// More redirects than allowed.
    case tooManyRedirects(url: String)
    /// libcurl could not be set up (out of memory or a missing feature).
    case setup(String)
    /// A streamed request body ended before its declared length.
    case bodyStreamEnded(url: String, sent: Int64, expected: Int64)

    public var description: String {
        switch self {
        case .transport(let code, let message, let url):
            return "\(url): \(message) (curl error \(code))"
        case .invalidURL(let url):
            return "invalid URL \(url)"
        case .bodyTooLarge(let limit, let url):
            return "\(url): response body is larger than the \(limit)-byte limit"
        case .tooManyRedirects(let url):
            return "\(url): too many redirects"
        case .setup(let message):
            return "cannot set up HTTP transport: \(message)"
        case .bodyStreamEnded(let url, let sent, let expected):
            return "\(url): the streamed body ended after \(sent) of \(expected) bytes"
        }
    }

    /// Whether retrying the same request may succeed: connection failures, resets, timeouts
    /// and truncated transfers, but not TLS verification or protocol errors.
    public var isTransient: Bool {
        guard case .transport(let code, _, _) = self else { return false }
        // CURLE_COULDNT_CONNECT 7, PARTIAL_FILE 18, OPERATION_TIMEDOUT 28, GOT_NOTHING 52,
        // SEND_ERROR 55, RECV_ERROR 56, SEND_FAIL_REWIND 65, HTTP2 16, HTTP2_STREAM 92.
        return [7, 16, 18, 28, 52, 55, 56, 65, 92].contains(code)
    }

    /// True when curl failed because the TLS handshake did not happen (the peer speaks plain HTTP).
    public var isTLSHandshakeFailure: Bool {
        guard case .transport(let code, _, _) = self else { return false }
        return code == 35  // CURLE_SSL_CONNECT_ERROR
    }
}
