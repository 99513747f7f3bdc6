public import FerryCore

/// Failures of moving images: resolving them in a source, copying their blobs, publishing them
/// into a registry. Each case says which image and which blob were involved and wraps the lower
/// layer's error, which carries its own evidence.
public enum FerryTransferError: Error, Sendable, CustomStringConvertible {
    /// Working on `image` failed while `doing` something.
    case image(String, doing: String, underlying: any Error)
    /// A blob failed; `images` lists every image that needs it.
    case blob(Digest, images: [String], doing: String, underlying: any Error)
    case platformNotFound(image: String, requested: [Platform], available: [Platform])
    case descriptorMismatch(image: String, digest: Digest, reason: String)
    case unsupportedMediaType(image: String, mediaType: MediaType)
    /// Where the bytes come from (`location`: a bundle, the source registry, a pipe) cannot give
    /// what the transfer needs.
    case supply(location: String, reason: String)

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
        case .supply(let location, let reason):
            return "\(location): \(reason)"
        }
    }
}
