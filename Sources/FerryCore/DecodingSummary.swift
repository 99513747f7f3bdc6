/// A one-line reason for a JSON document that did not decode, for error messages: the
/// decoder's own text is long and names Swift types, which mean nothing to a user.
public enum DecodingSummary {
    /// `showingPath` prefixes the field path (`manifests.0.digest: …`); without it, only the
    /// reason is given (the caller already names the document).
    public static func of(_ error: any Error, showingPath: Bool = false) -> String {
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        switch decoding {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return !showingPath || path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            guard showingPath else { return "missing field \(key.stringValue)" }
            return "missing field \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        @unknown default:
            return String(describing: decoding)
        }
    }
}
