public import FerryCore

/// Failures of ferry's use cases. Each case says which image and which blob were involved,
/// and wraps the lower layer's error (which carries its own evidence).
public enum FerryBundleError: Error, Sendable, CustomStringConvertible {
    /// Working on `image` failed while `doing` something.
    case image(String, doing: String, underlying: any Error)
    /// A blob failed; `images` lists every image that needs it.
    case blob(Digest, images: [String], doing: String, underlying: any Error)
    case platformNotFound(image: String, requested: [Platform], available: [Platform])
    case descriptorMismatch(image: String, digest: Digest, reason: String)
    case unsupportedMediaType(image: String, mediaType: MediaType)
    case output(path: String, reason: String)
    /// The input bundle or layout is unreadable or malformed.
    case input(path: String, reason: String)
    /// The input is compressed (gzip, zstd, …): callers decompress it first.
    case compressedInput(path: String, compression: String)
    /// Content in the input does not match its digest or size.
    case damaged(path: String, reason: String)
    case noImages

    public var description: String {
        switch self {
        case .image(let image, let doing, let underlying):
            return "\(image): \(doing): \(underlying)"
        case .blob(let digest, let images, let doing, let underlying):
            let names = images.prefix(3).joined(separator: ", ") + (images.count > 3 ? " and \(images.count - 3) more" : "")
            return "\(names): \(doing) blob \(digest): \(underlying)"
        case .platformNotFound(let image, let requested, let available):
            return "\(image): no manifest for platform \(requested.map(\.description).joined(separator: ", ")); the image has \(available.isEmpty ? "no platform information" : available.map(\.description).joined(separator: ", "))"
        case .descriptorMismatch(let image, let digest, let reason):
            return "\(image): \(digest): \(reason)"
        case .unsupportedMediaType(let image, let mediaType):
            return "\(image): unsupported manifest media type \(mediaType)"
        case .output(let path, let reason), .input(let path, let reason), .damaged(let path, let reason):
            return "\(path): \(reason)"
        case .compressedInput(let path, let compression):
            return "\(path): is \(compression)-compressed"
        case .noImages:
            return "no images given (pass references or -f FILE)"
        }
    }
}
