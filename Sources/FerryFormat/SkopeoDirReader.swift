package import FerryCore
import Foundation

/// skopeo's `dir:` format packed into a tar: `version` ("Directory Transport Version: …"), the
/// top manifest or index as `manifest.json` (exact bytes), child manifests as
/// `<hex>.manifest.json`, blobs as `<hex>`. One image, without a name (give it with `--name`).
package struct SkopeoDirReader {
    let tar: TarBlobStore

    package init(tar: TarBlobStore) { self.tar = tar }

    package static func matches(_ tar: TarBlobStore) throws -> Bool {
        guard tar.members["version"] != nil, tar.members["manifest.json"] != nil else { return false }
        let version = try tar.resolve("version").readAll(limit: 4096)
        return String(decoding: version, as: UTF8.self).hasPrefix("Directory Transport Version")
    }

    /// The image's entry descriptor and a store that finds its blobs by digest.
    package func read() throws -> (entry: Descriptor, store: OverlayBlobStore) {
        var extra: [Digest: BlobLocation] = [:]
        for name in tar.members.keys {
            let stem = name.hasSuffix(".manifest.json") ? String(name.dropLast(".manifest.json".count)) : name
            if let digest = try? Digest(algorithm: .sha256, hex: stem) { extra[digest] = try tar.resolve(name) }
        }
        let top = try tar.resolve("manifest.json")
        let bytes = try top.readAll(limit: Int64(ParsedManifest.maximumSize))
        struct Probe: Decodable { var mediaType: MediaType? }
        guard let mediaType = (try? JSONDecoder().decode(Probe.self, from: Data(bytes)))?.mediaType, mediaType.isManifest else {
            throw FerryFormatError.input(path: tar.location, reason: "manifest.json of a skopeo dir: archive has no manifest mediaType")
        }
        let digest = DigestHasher.digest(of: bytes)
        extra[digest] = top
        return (Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count)), OverlayBlobStore(base: tar, extra: extra))
    }
}
