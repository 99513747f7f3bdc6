public import FerryCore

/// Failures of reading and writing bundles, layouts and archives. Each case names the file
/// (and, inside it, the member or image) and says what is wrong with it.
public enum FerryFormatError: Error, Sendable, CustomStringConvertible {
    /// The input bundle, archive or layout is unreadable or malformed.
    case input(path: String, reason: String)
    /// Content in the input does not match its digest or size.
    case damaged(path: String, reason: String)
    /// Writing the output failed, or the output path cannot be used.
    case output(path: String, reason: String)
    /// The input is compressed (gzip, zstd, …): callers decompress it first.
    case compressedInput(path: String, compression: String)
    /// A manifest of `image` in the input has a media type ferry cannot walk.
    case unsupportedMediaType(image: String, mediaType: MediaType)
    /// Reading `image` from the input failed while `doing` something.
    case image(String, doing: String, underlying: any Error)

    public var description: String {
        switch self {
        case .input(let path, let reason), .damaged(let path, let reason), .output(let path, let reason):
            return "\(path): \(reason)"
        case .compressedInput(let path, let compression):
            return "\(path): is \(compression)-compressed"
        case .unsupportedMediaType(let image, let mediaType):
            return "\(image): unsupported manifest media type \(mediaType)"
        case .image(let image, let doing, let underlying):
            return "\(image): \(doing): \(underlying)"
        }
    }
}
