import Foundation

/// An image manifest (OCI `manifest.md`, or Docker schema 2, which has the same shape).
public struct ImageManifest: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var mediaType: MediaType?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(schemaVersion: Int = 2, mediaType: MediaType?, config: Descriptor, layers: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Every blob this manifest references: the config first, then the layers in order.
    public var blobs: [Descriptor] { [config] + layers }
}

/// An image index (OCI `image-index.md`) or Docker manifest list.
public struct ImageIndex: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var mediaType: MediaType?
    public var artifactType: String?
    public var manifests: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(schemaVersion: Int = 2, mediaType: MediaType?, manifests: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

/// A manifest or an index, decoded from its exact bytes.
public enum ParsedManifest: Sendable, Equatable {
    case image(ImageManifest)
    case index(ImageIndex)

    /// Largest manifest ferry accepts from anywhere. Matches the limit of containerd and the
    /// distribution registry, and bounds memory for hostile input.
    public static let maximumSize = 4 * 1024 * 1024

    /// Decodes `bytes` as the kind `mediaType` announces (the descriptor's or the registry's
    /// `Content-Type`). The document's own `mediaType` field, when present, must agree, and a
    /// document carrying both `manifests` and `layers` is refused (CVE-2021-41190).
    public static func parse(_ bytes: some Collection<UInt8>, mediaType: MediaType, digest: Digest?) throws(FerryCoreError) -> ParsedManifest {
        let data = Data(bytes)
        guard data.count <= maximumSize else {
            throw .malformedManifest(digest: digest, reason: "\(data.count) bytes is over the \(maximumSize)-byte limit")
        }
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: data)
        } catch {
            throw .malformedManifest(digest: digest, reason: "not a JSON manifest (\(DecodingSummary.of(error, showingPath: true)))")
        }
        if let declared = probe.mediaType, declared != mediaType {
            throw .malformedManifest(digest: digest, reason: "its mediaType \"\(declared)\" disagrees with \"\(mediaType)\"")
        }
        if probe.manifests != nil && (probe.layers != nil || probe.config != nil) {
            throw .malformedManifest(digest: digest, reason: "carries both \"manifests\" and \"layers\"/\"config\" (ambiguous, refused)")
        }
        do {
            if mediaType.isIndex {
                let index = try JSONDecoder().decode(ImageIndex.self, from: data)
                guard index.schemaVersion == 2 else {
                    throw FerryCoreError.malformedManifest(digest: digest, reason: "schemaVersion \(index.schemaVersion), expected 2")
                }
                return .index(index)
            }
            if mediaType.isImageManifest {
                let manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
                guard manifest.schemaVersion == 2 else {
                    throw FerryCoreError.malformedManifest(digest: digest, reason: "schemaVersion \(manifest.schemaVersion), expected 2")
                }
                return .image(manifest)
            }
        } catch let error as FerryCoreError {
            throw error
        } catch {
            throw .malformedManifest(digest: digest, reason: DecodingSummary.of(error, showingPath: true))
        }
        throw .malformedManifest(digest: digest, reason: "unsupported manifest media type \"\(mediaType)\"")
    }

    /// Only the fields needed to decide what a document is.
    private struct Probe: Decodable {
        var mediaType: MediaType?
        var manifests: [Descriptor]?
        var layers: [Descriptor]?
        var config: Descriptor?
    }
}
