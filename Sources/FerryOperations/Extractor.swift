public import FerryCore
import FerryFormat
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `ferry extract` is asked to do.
public struct ExtractOptions: Sendable {
    /// A bundle (or any archive or layout ferry reads).
    public var input: String
    /// The directory files are written into (created when missing).
    public var directory: String
    /// Only these: an artifact's full name, its repository path, or a file's name. Empty: all.
    public var names: [String]

    public init(input: String, directory: String, names: [String] = []) {
        self.input = input
        self.directory = directory
        self.names = names
    }
}

/// The files `ferry extract` wrote (or found already there, identical).
public struct ExtractReport: Sendable, Encodable {
    public struct File: Sendable, Encodable {
        /// The artifact the file came out of.
        public var artifact: String
        /// Where it was written.
        public var path: String
        /// The layer's digest and size (for a directory, of its tar+gzip).
        public var digest: String
        public var size: Int64
        /// Octal permission bits, when the artifact records them.
        public var mode: String?
        /// True when an identical file was already there.
        public var present: Bool
        /// True for a directory (a tar+gzip layer unpacked).
        public var directory: Bool? = nil
    }

    public var input: String
    public var directory: String
    public var files: [File]
}

/// `ferry extract` (issue 20): writes the files that file artifacts (`ferry export --file`, or
/// `oras push` of plain files) and Helm charts carry out of a bundle, with no registry.
///
/// Each layer is streamed from the bundle through a digest check into a hidden temporary file
/// that is renamed only when it verified, then given its recorded mode. Names come from the
/// layer's `org.opencontainers.image.title` and must be one plain path component; a chart is
/// written as `NAME-VERSION.tgz` (and `.prov`), as `helm pull` names it. A file already there
/// with the same bytes is left alone; one with other bytes stops the run, because extract
/// never overwrites what it did not write.
public enum Extractor {
    /// Writes what `options` selects; throws before writing anything for a bad title, and
    /// stops at the first file that cannot be written whole.
    public static func run(_ options: ExtractOptions) async throws -> ExtractReport {
        try await Blocking.run {
            let scratch = FileSystem.newScratch("extract")
            defer { FileSystem.removeScratch(scratch) }
            let store = try BundleInput.open(options.input, scratch: scratch).store()
            guard let indexBytes = try store.indexJSON() else {
                throw FerryOperationsError.input(path: options.input, reason: "has no index.json: it carries no artifacts (a docker-archive holds images only)")
            }
            let index = try BundleGraph.decodeIndex(indexBytes, location: options.input)
            let attached = (try ContentIndex.read(from: store)?.attachments ?? []).map(\.descriptor)
            try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
            var files: [ExtractReport.File] = []
            var wanted = Set(options.names)
            var written = Set<String>()
            for entry in index.manifests + attached where entry.mediaType == .ociManifest {
                let name = ImageNaming.name(of: entry)
                let manifestBytes = try store.readVerified(entry)
                guard case .image(let manifest) = try FetchedManifest(bytes: manifestBytes, mediaType: entry.mediaType, digest: entry.digest).parse() else {
                    continue
                }
                for (title, layer) in try outputs(of: manifest, store: store, artifact: name?.description ?? entry.digest.description) {
                    let selectors = [name?.description, name?.repository, name.map { "\($0.repository):\($0.tag ?? "")" }, title].compactMap { $0 }
                    guard options.names.isEmpty || selectors.contains(where: options.names.contains) else { continue }
                    selectors.forEach { wanted.remove($0) }
                    let path = options.directory + "/" + title
                    guard written.insert(path).inserted else {
                        throw FerryOperationsError.input(path: options.input, reason: "two artifacts carry a file named \(title); extract them one at a time (ferry extract BUNDLE NAME)")
                    }
                    let artifact = name?.description ?? entry.digest.description
                    if isDirectory(layer) {
                        files.append(try unpack(layer, from: store, to: path, title: title, artifact: artifact))
                    } else {
                        files.append(try write(layer, from: store, to: path, artifact: artifact))
                    }
                }
            }
            if let missing = wanted.sorted().first {
                throw FerryOperationsError.input(path: options.input, reason: "carries no file or chart named \(missing)")
            }
            return ExtractReport(input: options.input, directory: options.directory, files: files)
        }
    }

    /// The files one manifest carries, with the names to write them under: a chart's `.tgz`
    /// and `.prov`, or every titled layer of a file artifact. Images (their config is an image
    /// config) carry none.
    static func outputs(of manifest: ImageManifest, store: any BlobStore, artifact: String) throws -> [(String, Descriptor)] {
        if manifest.config.mediaType == .helmConfig {
            struct Chart: Decodable { var name: String; var version: String }
            let config = try store.readVerified(manifest.config, limit: 1 << 20)
            let chart: Chart
            do { chart = try JSONDecoder().decode(Chart.self, from: Data(config)) } catch {
                throw FerryOperationsError.input(path: store.location, reason: "\(artifact): the chart's config names no chart and version: \(error)")
            }
            let base = "\(chart.name)-\(chart.version)"
            var result: [(String, Descriptor)] = []
            for layer in manifest.layers {
                if layer.mediaType == .helmChart { result.append((base + ".tgz", layer)) }
                if layer.mediaType == .helmProvenance { result.append((base + ".tgz.prov", layer)) }
            }
            return try result.map { (title, layer) in
                guard FileSystem.isPlainFileName(title) else {
                    throw FerryOperationsError.input(path: store.location, reason: "\(artifact): \"\(title.prefix(100))\" is not a plain file name")
                }
                return (title, layer)
            }
        }
        guard !manifest.config.mediaType.isImageConfig else { return [] }
        return try manifest.layers.compactMap { layer -> (String, Descriptor)? in
            guard let title = layer.annotations?["org.opencontainers.image.title"] else { return nil }
            guard FileSystem.isPlainFileName(title) else {
                throw FerryOperationsError.input(path: store.location, reason: "\(artifact): layer \(layer.digest) is titled \"\(title.prefix(100))\", which is not a plain file name; refusing to write outside the output directory")
            }
            return (title, layer)
        }
    }

    /// A directory layer: tar+gzip, as oras packs a directory (oras-py leaves out the unpack
    /// annotation, so the media type decides).
    static func isDirectory(_ layer: Descriptor) -> Bool {
        layer.mediaType == .ociLayerGzip || layer.annotations?["io.deis.oras.content.unpack"] == "true"
    }

    /// Copies the layer (checked against its digest) next to `path`, then unpacks it there, or
    /// finds the same tree already in place.
    static func unpack(_ layer: Descriptor, from store: any BlobStore, to path: String, title: String,
                       artifact: String) throws -> ExtractReport.File {
        let copy = FileSystem.temporaryName(for: path) + ".tar.gz"
        FileSystem.rememberScratch(copy)
        defer { FileSystem.removeScratch(copy) }
        _ = try write(layer, from: store, to: copy, artifact: artifact)
        var file = ExtractReport.File(artifact: artifact, path: path, digest: layer.digest.description, size: layer.size,
                                      mode: nil, present: false, directory: true)
        if FileSystem.exists(path) {
            guard try DirectoryUnpacker.matches(archive: copy, title: title, existing: path) else {
                throw FerryOperationsError.output(path: path, reason: "exists with other content; extract never overwrites what it did not write (remove it, or extract elsewhere)")
            }
            file.present = true
            return file
        }
        try DirectoryUnpacker.unpack(archive: copy, title: title, to: path, location: store.location)
        return file
    }

    static func write(_ layer: Descriptor, from store: any BlobStore, to path: String, artifact: String) throws -> ExtractReport.File {
        guard let location = store.blob(layer.digest) else {
            throw FerryOperationsError.input(path: store.location, reason: "\(artifact): blob \(layer.digest) is missing")
        }
        // Permission bits only: a bundle never makes a setuid, setgid or sticky file.
        let mode = layer.annotations?["dev.ferry.file.mode"].flatMap { mode_t($0, radix: 8) }.map { $0 & 0o777 }
        var file = ExtractReport.File(artifact: artifact, path: path, digest: layer.digest.description, size: layer.size,
                                      mode: mode.map { String($0, radix: 8) }, present: false)
        if FileManager.default.fileExists(atPath: path) {
            let existing = try PositionalFile(path: path, flags: O_RDONLY)
            defer { try? existing.close() }
            guard try existing.size() == layer.size, try existing.holds(layer, at: 0) else {
                throw FerryOperationsError.output(path: path, reason: "exists with other content; extract never overwrites a file it did not write (remove it, or extract elsewhere)")
            }
            file.present = true
            return file
        }
        let writer = try VerifiedFileWriter(descriptor: layer, finalPath: path, mode: mode ?? 0o644)
        let read = try location.file.forEachChunk(from: location.offset, length: location.size) { try writer.write($0) }
        guard read == location.size else {
            throw FerryOperationsError.input(path: store.location, reason: "\(artifact): \(location.name) is truncated")
        }
        do { try writer.commit() } catch {
            throw FerryFormatError.damaged(path: store.location, reason: "\(artifact): \(location.name) (blob \(layer.digest)): \(error)")
        }
        return file
    }
}
