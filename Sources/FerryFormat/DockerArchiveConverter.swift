import FerryArchive
package import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How layers of a legacy docker-archive are compressed when ferry builds their manifest.
public enum LayerCompression: String, Sendable, CaseIterable {
    case gzip, zstd, none
}

/// Turns the images of a docker-archive without an OCI side (`docker save` before 25,
/// skopeo's `docker-archive:`, crane tarballs) into registry images.
///
/// Such archives carry configs and layer tars but no registry manifest, so ferry builds one.
/// Uncompressed layers are compressed deterministically into temporary files (bounded by the
/// layer sizes, removed afterwards) and checked against the config's `rootfs.diff_ids` on the
/// way; already compressed layers travel as they are. The digests of built manifests are new,
/// and the report says so. Spec: `formats/docker-archive/SPEC.md`.
package struct DockerArchiveConverter {
    let store: TarBlobStore
    let compression: LayerCompression
    let temporaryDirectory: String

    package init(store: TarBlobStore, compression: LayerCompression, temporaryDirectory: String) {
        self.store = store
        self.compression = compression
        self.temporaryDirectory = temporaryDirectory
    }

    typealias Element = DockerManifestFile.Element

    /// One image of the archive as a registry would hold it, under one of its names.
    package struct ConvertedImage {
        package let name: ImageReference
        package let manifest: StoredManifest
        /// The config, then the layers.
        package let blobs: [Descriptor]
    }

    /// Converted images (by name) and the blobs they use, including temporary compressed layers.
    /// An element without RepoTags (an untagged `docker save`) takes the next of `names`
    /// (`--name`, in order), as unnamed OCI entries do; without one it is reported as unnamed.
    /// Only elements with a name `wanted` accepts are converted (compressing layers is costly).
    package func convert(names given: [ImageReference] = [], wanted: (ImageReference) -> Bool = { _ in true }) throws
        -> (images: [ConvertedImage], unnamed: [String], blobs: [Digest: BlobLocation]) {
        var given = given.makeIterator()
        let elements = try DockerManifestFile(store).elements
        var images: [ConvertedImage] = []
        var unnamed: [String] = []
        var blobs: [Digest: BlobLocation] = [:]
        var converted: [String: Descriptor] = [:]
        for (position, element) in elements.enumerated() {
            var tagged = try (element.RepoTags ?? []).map { tag in
                do {
                    return try ImageReference(parsing: tag)
                } catch {
                    throw FerryFormatError.input(path: store.location, reason: "manifest.json[\(position)]: RepoTag \(tag): \(error)")
                }
            }
            if tagged.isEmpty {
                guard let name = given.next() else {
                    unnamed.append("manifest.json[\(position)]")
                    continue
                }
                tagged = [name]
            }
            let names = tagged.filter(wanted)
            guard !names.isEmpty else { continue }
            let (manifest, configDescriptor, layerDescriptors) = try build(element, position: position, blobs: &blobs, converted: &converted)
            for name in names {
                images.append(ConvertedImage(name: name, manifest: manifest, blobs: [configDescriptor] + layerDescriptors))
            }
        }
        return (images, unnamed, blobs)
    }

    func build(_ element: Element, position: Int, blobs: inout [Digest: BlobLocation],
                       converted: inout [String: Descriptor]) throws -> (StoredManifest, Descriptor, [Descriptor]) {
        let configLocation = try store.resolve(element.Config)
        guard configLocation.size <= ImageManifest.maximumConfigSize else {
            throw FerryFormatError.input(path: store.location, reason: "config \(configLocation.name) is too large")
        }
        let config = try read(configLocation)
        let configDigest = DigestHasher.digest(of: config)
        // Members named after their digest (`<hex>.json`, `sha256:<hex>`, `blobs/sha256/<hex>`) must match it.
        let stem = configLocation.name.split(separator: "/").last.map(String.init) ?? ""
        let claimed = stem.hasSuffix(".json") ? String(stem.dropLast(5)) : stem.replacingOccurrences(of: "sha256:", with: "")
        if claimed.count == 64, claimed.allSatisfy(\.isHexDigit), claimed != configDigest.hex {
            throw FerryFormatError.damaged(path: store.location, reason: "\(configLocation.name) hashes to \(configDigest), not its name")
        }
        struct Config: Decodable { struct RootFS: Decodable { var diff_ids: [Digest]? }; var rootfs: RootFS? }
        let diffIDs: [Digest]
        do {
            diffIDs = try JSONDecoder().decode(Config.self, from: Data(config)).rootfs?.diff_ids ?? []
        } catch {
            throw FerryFormatError.input(path: store.location, reason: "config \(configLocation.name) is not an image config: \(DecodingSummary.of(error))")
        }
        guard diffIDs.count == element.Layers.count else {
            throw FerryFormatError.input(path: store.location,
                                         reason: "manifest.json[\(position)] lists \(element.Layers.count) layers, its config \(diffIDs.count) diff_ids")
        }
        var layers: [Descriptor] = []
        for (layerPath, diffID) in zip(element.Layers, diffIDs) {
            let location = try store.resolve(layerPath)
            if let done = converted[location.name] {
                layers.append(done)
                continue
            }
            let (descriptor, blob) = try layer(location, diffID: diffID)
            converted[location.name] = descriptor
            blobs[descriptor.digest] = blob
            layers.append(descriptor)
        }
        let docker = compression == .gzip && layers.allSatisfy { $0.mediaType == .dockerLayerGzip }
        let configDescriptor = Descriptor(mediaType: docker ? .dockerConfig : .ociConfig, digest: configDigest, size: Int64(config.count))
        blobs[configDigest] = configLocation
        let manifest = ImageManifest(schemaVersion: 2, mediaType: docker ? .dockerManifest : .ociManifest,
                                     config: configDescriptor, layers: layers)
        let bytes = try CanonicalJSON.encode(manifest)
        let descriptor = Descriptor(mediaType: manifest.mediaType ?? .ociManifest, digest: DigestHasher.digest(of: bytes), size: Int64(bytes.count))
        return (StoredManifest(descriptor: descriptor, bytes: bytes), configDescriptor, layers)
    }

    /// One layer as it will be pushed: compressed ones as they are; tars compressed here, their
    /// uncompressed digest checked against the config's diff_id.
    private func layer(_ location: BlobLocation, diffID: Digest) throws -> (Descriptor, BlobLocation) {
        var magic = [UInt8](repeating: 0, count: 4)
        let n = try magic.withUnsafeMutableBytes { try location.file.read(into: $0, at: location.offset) }
        let head = magic.prefix(min(n, Int(location.size)))
        if head.starts(with: [0x1f, 0x8b]) || head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            let zstd = head.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
            var hasher = DigestHasher()
            try stream(location) { hasher.update($0) }
            return (Descriptor(mediaType: zstd ? .ociLayerZstd : .dockerLayerGzip, digest: hasher.finalize(), size: location.size), location)
        }
        var input = DigestHasher()
        if compression == .none {
            try stream(location) { input.update($0) }
            try checkDiffID(input.finalize(), diffID, location)
            return (Descriptor(mediaType: .ociLayer, digest: diffID, size: location.size), location)
        }
        let path = "\(temporaryDirectory)/layer-\(diffID.hex)"
        let output = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
        var written: Int64 = 0
        var hasher = DigestHasher()
        let compressor = try StreamCompressor(kind: compression == .zstd ? .zstd : .gzip) { buffer in
            hasher.update(buffer)
            try output.write(buffer, at: written)
            written += Int64(buffer.count)
        }
        try stream(location) { buffer in
            input.update(buffer)
            try compressor.write(buffer)
        }
        try compressor.finish()
        try checkDiffID(input.finalize(), diffID, location)
        let mediaType: MediaType = compression == .zstd ? .ociLayerZstd : .dockerLayerGzip
        return (Descriptor(mediaType: mediaType, digest: hasher.finalize(), size: written),
                BlobLocation(file: output, offset: 0, size: written, name: "\(location.name) (compressed)"))
    }

    private func checkDiffID(_ actual: Digest, _ expected: Digest, _ location: BlobLocation) throws {
        guard actual == expected else {
            throw FerryFormatError.damaged(path: store.location,
                                           reason: "layer \(location.name) hashes to \(actual), its config's diff_id is \(expected)")
        }
    }

    private func read(_ location: BlobLocation) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(location.size))
        try stream(location) { bytes.append(contentsOf: $0) }
        return bytes
    }

    private func stream(_ location: BlobLocation, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard try location.file.forEachChunk(from: location.offset, length: location.size, body) == location.size else {
            throw FerryFormatError.input(path: store.location, reason: "\(location.name) is truncated")
        }
    }
}

/// A store with extra blobs (configs and converted layers) laid over another.
package struct OverlayBlobStore: BlobStore {
    let base: any BlobStore
    let extra: [Digest: BlobLocation]

    package init(base: any BlobStore, extra: [Digest: BlobLocation]) {
        self.base = base
        self.extra = extra
    }

    package var location: String { base.location }
    package func indexJSON() throws -> [UInt8]? { try base.indexJSON() }
    package func blob(_ digest: Digest) -> BlobLocation? { extra[digest] ?? base.blob(digest) }
}

extension DockerArchiveConverter {
    /// The result of checking one `manifest.json` element without building anything.
    package struct ElementCheck {
        package let names: [String]
        package let configDigest: Digest?
        package let bytes: Int64
        package let error: (any Error)?
    }

    /// Checks every element of a legacy docker-archive as `convert` would read it (with
    /// `compression: .none`, so nothing is written): configs against the digest in their names,
    /// uncompressed layers against the config's diff_ids, links inside the archive. Every
    /// element is checked even when an earlier one failed.
    package func check() throws -> [ElementCheck] {
        let elements = try DockerManifestFile(store).elements
        var blobs: [Digest: BlobLocation] = [:]
        var converted: [String: Descriptor] = [:]
        var results: [ElementCheck] = []
        for (position, element) in elements.enumerated() {
            let names = (element.RepoTags ?? []).isEmpty ? ["manifest.json[\(position)]"] : (element.RepoTags ?? [])
            do {
                let (_, config, layers) = try build(element, position: position, blobs: &blobs, converted: &converted)
                results.append(ElementCheck(names: names, configDigest: config.digest,
                                            bytes: config.size + layers.reduce(0) { $0 + $1.size }, error: nil))
            } catch {
                results.append(ElementCheck(names: names, configDigest: nil, bytes: 0, error: error))
            }
        }
        return results
    }
}
