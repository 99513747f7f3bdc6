public import FerryCore
public import FerryFormat
import FerryArchive
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bundles `ferry serve` answers from, opened once: each one's file (a tar, or a split
/// bundle's parts read as one file), its content index, and the catalog of all of them.
///
/// A blob is served from where the content index says it lies, so only uncompressed bundles can
/// be served: a compressed one is refused with the command that decompresses it, or
/// decompressed once into `cache` when one is given (and reused from there by later runs).
public struct ServedBundles: Sendable {
    /// One opened bundle.
    public struct Bundle: Sendable {
        /// The path as given (a split bundle by its joined name), for messages.
        public let name: String
        public let file: PositionalFile
        public let index: ContentIndex
    }

    public let bundles: [Bundle]
    public let catalog: ServedCatalog

    /// Opens `paths` in order (an earlier bundle's tag wins over a later one's); with
    /// `renaming`, images are served under the names it gives (see `ServedCatalog`).
    public static func open(_ paths: [String], cache: String? = nil,
                            renaming: ServedCatalog.Renaming? = nil) throws(FerryServeError) -> ServedBundles {
        var bundles: [Bundle] = []
        for (number, path) in paths.enumerated() {
            bundles.append(try openBundle(path, number: number, cache: cache))
        }
        return try ServedBundles(bundles: bundles, renaming: renaming)
    }

    init(bundles: [Bundle], renaming: ServedCatalog.Renaming? = nil) throws(FerryServeError) {
        self.bundles = bundles
        var catalog = try ServedCatalog(bundles: bundles.map(\.index), renaming: renaming)
        try Self.addReferrers(to: &catalog, from: bundles)
        self.catalog = catalog
    }

    /// The referrers API's lists, from the attachments: each attachment manifest that names a
    /// `subject` is listed under its repository, as `ferry import` lists it in the fallback tag
    /// (artifactType, else the config's media type; the manifest's annotations). Reads each
    /// attachment manifest once, at start; cosign's tag-schema signatures name no subject and
    /// are served under their tags only, as a registry does.
    static func addReferrers(to catalog: inout ServedCatalog, from bundles: [Bundle]) throws(FerryServeError) {
        for (number, bundle) in bundles.enumerated() {
            for attachment in bundle.index.attachments ?? [] where attachment.mediaType.isImageManifest {
                let reference = try catalog.servedName(attachment.name, bundle: number)
                let parsed: ParsedManifest?
                do {
                    parsed = try manifest(attachment.digest, catalog: catalog, bundles: bundles)
                } catch {
                    throw .bundle(number: number, reason: "attachment \(attachment.name) (\(attachment.digest)) cannot be read: \(error)")
                }
                guard case .image(let manifest) = parsed, let subject = manifest.subject else { continue }
                var entry = Descriptor(mediaType: attachment.mediaType, digest: attachment.digest, size: attachment.size)
                entry.artifactType = manifest.artifactType ?? manifest.config.mediaType.rawValue
                entry.annotations = manifest.annotations
                catalog.addReferrer(entry, subject: subject.digest, in: catalog.key(of: reference))
            }
        }
    }

    private static func openBundle(_ path: String, number: Int, cache: String?) throws(FerryServeError) -> Bundle {
        do {
            if FileSystem.isDirectory(path) {
                throw FerryServeError.bundle(number: number, reason: "\(path) is a directory; ferry serve serves bundle files (tar, or a split bundle's parts)")
            }
            var name = path
            let file: PositionalFile
            if let parts = try PartSet.locate(path) {
                name = parts.base
                file = try parts.open()
                if let kind = try TarBlobStore.compression(of: file) {
                    throw FerryServeError.bundle(number: number, reason: "the parts of \(name) are \(kind)-compressed; ferry serves split bundles uncompressed")
                }
            } else {
                guard FileSystem.exists(path) else {
                    throw FerryServeError.bundle(number: number, reason: "\(path) does not exist")
                }
                let given = try PositionalFile(path: path, flags: O_RDONLY)
                if let kind = try TarBlobStore.compression(of: given) {
                    try given.close()
                    guard let cache else {
                        throw FerryServeError.bundle(number: number, reason: Self.compressedAdvice(path: path, kind: kind))
                    }
                    file = try PositionalFile(path: try decompressed(path, into: cache), flags: O_RDONLY)
                } else {
                    file = given
                }
            }
            let store = try TarBlobStore(file: file, displayName: name)
            guard let index = try ContentIndex.read(from: store) else {
                throw FerryServeError.bundle(number: number, reason: "\(name) has no \(ContentIndex.memberName): ferry serve serves ferry bundles (turn another archive into one with ferry export --from-archive or ferry copy)")
            }
            return Bundle(name: name, file: file, index: index)
        } catch let error as FerryServeError {
            throw error
        } catch {
            throw .bundle(number: number, reason: "\(path): \(error)")
        }
    }

    /// Manifest `digest` from the bundle whose pool holds it, parsed as its stored media type;
    /// nil when the pool holds no manifest by that digest, or one over the manifest size limit
    /// (never read whole into memory).
    static func manifest(_ digest: Digest, catalog: ServedCatalog, bundles: [Bundle]) throws -> ParsedManifest? {
        guard let place = catalog.blob(digest), place.mediaType.isManifest, place.size <= Int64(ParsedManifest.maximumSize) else {
            return nil
        }
        let bytes = try bundles[place.bundle].file.read(count: Int(place.size), at: place.offset)
        return try ParsedManifest.parse(bytes, mediaType: place.mediaType, digest: digest)
    }

    /// Why a compressed bundle is refused, and the one-time commands that make it servable.
    static func compressedAdvice(path: String, kind: String) -> String {
        let tool = ["gzip": "gzip -dc", "zstd": "zstd -dc", "xz": "xz -dc", "bzip2": "bzip2 -dc"][kind] ?? "\(kind) -dc"
        let stem = Self.stem(of: Self.baseName(path))
        return "\(path) is \(kind)-compressed, and a compressed bundle cannot be served from where its blobs lie. Decompress it once (\(tool) \(path) > \(stem).tar) and serve \(stem).tar, or give --cache DIR and ferry serve decompresses it there once"
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The name without its compression suffix (`site-a.tar.zst` → `site-a`).
    static func stem(of name: String) -> String {
        var stem = name
        for suffix in [".zst", ".gz", ".xz", ".bz2", ".tgz", ".tar"] where stem.hasSuffix(suffix) {
            stem = String(stem.dropLast(suffix.count))
        }
        return stem.isEmpty ? "bundle" : stem
    }

    /// The decompressed copy of `path` in `cache`, made once: its name carries the source's
    /// size and modification time, so a changed source gets a new copy and an unchanged one is
    /// reused. Written under a temporary name and renamed when whole.
    static func decompressed(_ path: String, into cache: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            // openBundle names the bundle's number around this.
            throw FerryCoreError.io(operation: "stat", path: path, errno: errno)
        }
        let key = DigestHasher.digest(of: Array("\(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(path)".utf8))
        let copy = "\(cache)/\(stem(of: Self.baseName(path)))-\(key.hex.prefix(16)).tar"
        if FileSystem.exists(copy) { return copy }
        try FileSystem.makeDirectories(cache)
        let partial = copy + ".ferry-partial"
        FileSystem.remove(partial)
        try TarBlobStore.decompress(path, to: partial, limit: DecompressionLimit.standard.bytes(forCompressedSize: Int64(status.st_size)))
        try FileSystem.commitRename(from: partial, to: copy)
        return copy
    }
}

extension ServedBundles {
    /// The images (and attachments) of the served bundles whose graph holds `digest`, by name:
    /// what a damaged blob breaks, for the log line that reports it. Reads the manifests from
    /// the bundles, so it is for that rare moment, not for every request; a manifest that cannot
    /// be read or parsed is passed over (it is reported on its own when asked for).
    public func images(using digest: Digest) -> [String] {
        var names = Set<String>()
        var holds: [Digest: Bool] = [:]
        func graphHolds(_ manifest: Digest, depth: Int) -> Bool {
            if manifest == digest { return true }
            if let known = holds[manifest] { return known }
            guard depth < 4, let parsed = try? Self.manifest(manifest, catalog: catalog, bundles: bundles) else {
                holds[manifest] = false
                return false
            }
            let found: Bool
            switch parsed {
            case .image(let image): found = image.blobs.contains { $0.digest == digest }
            case .index(let index): found = index.manifests.contains { graphHolds($0.digest, depth: depth + 1) }
            }
            holds[manifest] = found
            return found
        }
        for bundle in bundles {
            for (name, manifest) in bundle.index.servedNames where graphHolds(manifest, depth: 0) { names.insert(name) }
        }
        return names.sorted()
    }
}

extension ContentIndex {
    /// Every name the bundle serves a manifest under: its images, then its attachments.
    var servedNames: [(name: String, digest: Digest)] {
        images.map { ($0.name, $0.digest) } + (attachments ?? []).map { ($0.name, $0.digest) }
    }
}
