package import FerryArchive
package import FerryCore
package import FerryFormat
package import FerryTransfer

/// What an import will do, worked out from the input alone (no network): which entries are
/// selected, where each goes, and every manifest and blob each needs, checked.
enum ImportPlanner {
    /// Reads and checks every selected image of the input; no network. An archive with an OCI
    /// side (index.json) is read as it is; a docker-archive without one is converted, with its
    /// temporary files under `scratch`.
    static func plan(store: any BlobStore, options: ImportOptions, scratch: String) throws -> ([PublishImage], [String], any BlobStore, [String]) {
        let indexBytes = try store.indexJSON()
        let decoded = try indexBytes.map { try BundleGraph.decodeIndex($0, location: store.location) }
        guard let indexBytes, let index = decoded, !BundleGraph.usesDockerSide(store, index: index) else {
            if let tar = store as? TarBlobStore, try SkopeoDirReader.matches(tar) {
                let (entry, overlay) = try SkopeoDirReader(tar: tar).read()
                guard let source = options.names.first else { return ([], [entry.digest.description], overlay, []) }
                let graph = try BundleGraph.walk(entry, store: overlay, image: source.description)
                let image = PublishImage(source: source, destination: try Self.mapper(options).destination(for: source), entry: entry,
                                        manifests: graph.manifests, blobs: graph.blobs)
                return ([image], [], overlay, [])
            }
            guard let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else {
                throw FerryOperationsError.input(path: store.location, reason: "has neither index.json nor manifest.json: not an image archive")
            }
            try FileSystem.makeDirectories(scratch)
            let converter = DockerArchiveConverter(store: tar, compression: options.layerCompression, temporaryDirectory: scratch)
            let mapper = try Self.mapper(options)
            let converted = try converter.convert(names: options.names, wanted: { options.filter.accepts($0.description) })
            let images = try converted.images.map { image in
                PublishImage(source: image.name, destination: try mapper.destination(for: image.name), entry: image.manifest.descriptor,
                             manifests: [image.manifest], blobs: image.blobs, builtManifest: true)
            }
            return (images, converted.unnamed, OverlayBlobStore(base: store, extra: converted.blobs), [])
        }
        try ContentIndex.read(from: store)?.checkPinnedMembers(of: store, indexJSON: indexBytes)
        let external = try BaseBundles.external(of: store)
        var images: [PublishImage] = []
        var unnamed: [String] = []
        // Destination → the source image going there. Two different images with one destination
        // would overwrite each other's tag; that is refused before anything is sent, naming both
        // (issue 15, item 11: one was dropped without a word, or a false "sides disagree" followed).
        var claimed: [String: ImageReference] = [:]
        var notes: [String] = []
        var names = options.names.makeIterator()
        for entry in index.manifests {
            guard let source = ImageNaming.name(of: entry, repository: options.repository) ?? names.next() else {
                unnamed.append(entry.digest.description)
                continue
            }
            guard options.filter.accepts(source.description) else { continue }
            let targets: [ImageReference]
            if let listed = options.destinationTable?[source.description] {
                targets = listed
            } else if let mapper = options.destination {
                targets = [try mapper.destination(for: source)]
            } else {
                continue  // not selected by the images file, and no --to
            }
            var fresh: [ImageReference] = []
            for target in targets {
                if let other = claimed[target.description] {
                    guard other == source else {
                        throw FerryOperationsError.input(path: store.location,
                                                     reason: "\(other) and \(source) would both go to \(target); give one another destination (--map SRC=DST) or leave one out (--exclude)")
                    }
                    continue
                }
                claimed[target.description] = source
                fresh.append(target)
            }
            guard !fresh.isEmpty else { continue }
            var graph: BundleGraph.Graph
            var imported = entry
            var built = false
            if let selection = try SparseIndex.select(entry, store: store, platforms: options.platforms, image: source.description) {
                // Some platforms only: walk the chosen children, then push ferry's new index (if
                // any) after them; an index naming manifests the registry will not have is never pushed.
                graph = BundleGraph.Graph()
                for child in selection.children {
                    let part = try BundleGraph.walk(child, store: store, image: source.description, external: external)
                    graph.manifests += part.manifests.filter { manifest in !graph.manifests.contains { $0.descriptor.digest == manifest.descriptor.digest } }
                    graph.blobs += part.blobs
                }
                if let index = selection.builtIndex { graph.manifests.append(index) }
                imported = selection.entry
                imported.annotations = entry.annotations
                built = selection.builtIndex != nil
                if let note = selection.note { notes.append(note) }
            } else {
                graph = try BundleGraph.walk(entry, store: store, image: source.description, external: external)
            }
            for destination in fresh {
                images.append(PublishImage(source: source, destination: destination, entry: imported, manifests: graph.manifests, blobs: graph.blobs,
                                          builtManifest: built))
            }
        }
        try checkDockerSide(store: store, images: images, everything: options.filter.include.isEmpty && options.filter.exclude.isEmpty && options.destinationTable == nil && notes.isEmpty)
        return (images, unnamed, store, notes)
    }

    /// `--to`'s mapper, required where the input has no names an images file could select by
    /// (docker-archives without an OCI side, skopeo dir tars).
    static func mapper(_ options: ImportOptions) throws -> DestinationMapper {
        guard let mapper = options.destination else {
            throw FerryOperationsError.input(path: options.input, reason: "this kind of input needs --to REGISTRY[/PREFIX]")
        }
        return mapper
    }

    /// A tar with both sides must tell one story: every `manifest.json` element points at a
    /// config and layers that an `index.json` image uses. Disagreement means the bundle was
    /// edited or assembled wrongly; importing either side would hide that.
    static func checkDockerSide(store: any BlobStore, images: [PublishImage], everything: Bool) throws {
        guard everything, let tar = store as? TarBlobStore, tar.members["manifest.json"] != nil else { return }
        let elements = try DockerManifestFile(tar).elements
        let used = Set(images.flatMap { $0.blobs.map(\.digest.layoutPath) })
        for (position, element) in elements.enumerated() {
            for path in [element.Config] + element.Layers {
                guard let normalised = try MemberName.normalise(path), used.contains(normalised) else {
                    throw FerryOperationsError.input(path: store.location,
                                                 reason: "manifest.json[\(position)] names \(path), which no index.json image uses: the two sides disagree")
                }
            }
        }
    }
}
