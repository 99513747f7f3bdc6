import FerryArchive
import FerryCore
import FerryFormat
import FerryTransfer

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
        let contentIndex = try ContentIndex.read(from: store)
        try contentIndex?.checkPinnedMembers(of: store, indexJSON: indexBytes)
        // A 1.1 bundle lists its attachments in the content index (SPEC.md §13), a 1.0 bundle
        // in index.json: read either way, they are placed by the same rule below.
        let entries = index.manifests + (contentIndex?.attachments ?? []).map(\.descriptor)
        let external = try BaseBundles.external(of: store)
        var images: [PublishImage] = []
        var unnamed: [String] = []
        // Destination → the source image going there. Two different images with one destination
        // would overwrite each other's tag; that is refused before anything is sent, naming both
        // (issue 15, item 11: one was dropped without a word, or a false "sides disagree" followed).
        var claimed: [String: ImageReference] = [:]
        var notes: [String] = []
        var names = options.names.makeIterator()
        /// Every manifest digest of the images placed so far → where those images go.
        var placed: [Digest: [ImageReference]] = [:]
        /// Puts `entry` (named `source`) into `targets`, walking its graph once.
        func place(_ entry: Descriptor, as source: ImageReference, into targets: [ImageReference]) throws {
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
            guard !fresh.isEmpty else { return }
            let (graph, imported, built) = try Self.graph(of: entry, source: source, store: store, options: options, external: external, notes: &notes)
            for destination in fresh {
                images.append(PublishImage(source: source, destination: destination, entry: imported, manifests: graph.manifests,
                                           blobs: graph.blobs, builtManifest: built))
                for manifest in graph.manifests { placed[manifest.descriptor.digest, default: []].append(destination) }
            }
        }
        /// Places an image by its own name: when the filters accept it, where the images file
        /// sends it, else where `--to` does (neither: it is not selected).
        func placeByName(_ entry: Descriptor, as source: ImageReference) throws {
            guard options.filter.accepts(source.description) else { return }
            if let listed = options.destinationTable?[source.description] {
                try place(entry, as: source, into: listed)
            } else if let mapper = options.destination {
                try place(entry, as: source, into: [try mapper.destination(for: source)])
            }
        }
        // Attachments (SPEC.md rule 3.6: entries with `dev.ferry.subject`) are placed after every
        // image, next to what they are attached to (issue 17, item 1).
        var attachments: [(entry: Descriptor, source: ImageReference, subject: Digest)] = []
        for entry in entries {
            guard let source = ImageNaming.name(of: entry, repository: options.repository) ?? names.next() else {
                unnamed.append(entry.digest.description)
                continue
            }
            if let text = entry.annotations?[AnnotationKey.subject], let subject = try? Digest(parsing: text) {
                attachments.append((entry, source, subject))
                continue
            }
            try placeByName(entry, as: source)
        }
        for attachment in attachments {
            if let subjects = placed[attachment.subject] {
                // Into each repository its subject went to, under its own tag (`sha256-<hex>.sig`)
                // or digest (a referrer found through the API): the referrers API or fallback
                // tag there then finds it. Included exactly when its subject is, whatever the
                // filters, `--map` rules or images file say about its own name.
                var targets: [ImageReference] = []
                for subject in subjects {
                    let target = subject.with(tag: attachment.source.tag, digest: attachment.source.tag == nil ? attachment.source.digest : nil)
                    if !targets.contains(target) { targets.append(target) }
                }
                try place(attachment.entry, as: attachment.source, into: targets)
            } else if store.blob(attachment.subject) == nil {
                // What it is attached to is not in the input (an archive put together by hand):
                // it travels by its own name, as any image would.
                notes.append("\(attachment.source): is attached to \(attachment.subject.short), which the input does not hold; imported by its own name")
                try placeByName(attachment.entry, as: attachment.source)
            }
            // Otherwise its subject was left out (filters, images file, --platform): so is it.
        }
        try checkDockerSide(store: store, images: images, everything: options.filter.include.isEmpty && options.filter.exclude.isEmpty && options.destinationTable == nil && notes.isEmpty)
        return (images, unnamed, store, notes)
    }

    /// The manifests and blobs `entry` needs, and the entry to push: itself, or (with
    /// `--platform`, or an input holding only some platforms of an index) one child or a new
    /// index of the chosen children, pushed after them (`SparseIndex`).
    static func graph(of entry: Descriptor, source: ImageReference, store: any BlobStore, options: ImportOptions,
                      external: [Digest: ContentIndex.BaseBlob], notes: inout [String]) throws -> (BundleGraph.Graph, Descriptor, Bool) {
        guard let selection = try SparseIndex.select(entry, store: store, platforms: options.platforms, image: source.description) else {
            return (try BundleGraph.walk(entry, store: store, image: source.description, external: external), entry, false)
        }
        // An index naming manifests the registry will not have is never pushed.
        var graph = BundleGraph.Graph()
        for child in selection.children {
            let part = try BundleGraph.walk(child, store: store, image: source.description, external: external)
            graph.manifests += part.manifests.filter { manifest in !graph.manifests.contains { $0.descriptor.digest == manifest.descriptor.digest } }
            graph.blobs += part.blobs
        }
        if let index = selection.builtIndex { graph.manifests.append(index) }
        var imported = selection.entry
        imported.annotations = entry.annotations
        if let note = selection.note { notes.append(note) }
        return (graph, imported, selection.builtIndex != nil)
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
        var used = Set<Digest>()
        for image in images { used.formUnion(image.blobs.lazy.map(\.digest)) }
        for (position, element) in elements.enumerated() {
            for path in [element.Config] + element.Layers {
                guard let normalised = try MemberName.normalise(path), let digest = Digest(layoutPath: normalised),
                      used.contains(digest) else {
                    throw FerryOperationsError.input(path: store.location,
                                                 reason: "manifest.json[\(position)] names \(path), which no index.json image uses: the two sides disagree")
                }
            }
        }
    }
}
