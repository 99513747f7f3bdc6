import FerryArchive
import FerryCore
import Foundation

/// The small JSON members that make a blob pool readable by every peer
/// (`formats/ferry-bundle/SPEC.md`): `oci-layout` and `index.json` for OCI readers,
/// `manifest.json` and `repositories` for `docker load` and `docker-archive:` readers.
enum BundleMetadata {
    static let ociLayout = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    /// The `index.json` entry for one image: its descriptor named with the full reference in
    /// both `org.opencontainers.image.ref.name` (what skopeo matches) and
    /// `io.containerd.image.name` (what containerd and Docker 25 read).
    static func indexEntry(_ image: ResolvedImage) -> Descriptor {
        var entry = image.entry
        var annotations = entry.annotations ?? [:]
        annotations[AnnotationKey.refName] = image.name
        annotations[AnnotationKey.containerdImageName] = image.name
        if let original = image.sourceIndexDigest {
            annotations[AnnotationKey.sourceIndexDigest] = original.description
        }
        if let subject = image.subject {
            annotations[AnnotationKey.subject] = subject.description
        }
        if !image.destinations.isEmpty {
            annotations[AnnotationKey.destinations] = image.destinations.map(\.description).joined(separator: ",")
        }
        entry.annotations = annotations
        return entry
    }

    static func indexJSON(_ entries: [Descriptor]) throws -> [UInt8] {
        try indexDocument(entries) { $0 }.bytes()
    }

    /// `index.json` with an entry for each source, each made as it is encoded (`entry`) into
    /// the empty array: the bytes of encoding the whole index.
    static func indexDocument<Source: Sendable>(_ sources: [Source], _ entry: @escaping @Sendable (Source) -> Descriptor) throws
        -> CanonicalJSON.Document {
        let shell = try CanonicalJSON.encode(ImageIndex(schemaVersion: 2, mediaType: .ociIndex, manifests: []))
        return try CanonicalJSON.Document(shell, filling: [.init("manifests", sources, entry)])
    }

    struct DockerManifestEntry: Codable, Equatable {
        var Config: String
        var RepoTags: [String]
        var Layers: [String]
    }

    /// The image manifest of a single-platform entry whose config is a container image config;
    /// artifacts (signatures, SBOMs) and indexes have no docker-archive form.
    static func loadableNode(_ image: ResolvedImage) -> ImageNode? {
        guard image.entry.mediaType.isImageManifest, image.subject == nil,
              let node = image.images.first(where: { $0.descriptor.digest == image.entry.digest }),
              node.manifest.config.mediaType.isImageConfig,
              // cosign signatures use an image config with non-layer "layers": not loadable.
              node.manifest.layers.allSatisfy(\.mediaType.isLayer),
              // A foreign (non-distributable) layer is not in the tar: `docker load` could not
              // find it, so such an image travels on the OCI side only.
              node.manifest.nonDistributableLayers.isEmpty else { return nil }
        return node
    }

    /// One `manifest.json` element per distinct single-platform image; references to the same
    /// image share an element and its `RepoTags`. The elements are made as they are encoded:
    /// their config and layer paths, made all at once, were 5 MB at 10,000 images.
    static func dockerManifest(_ images: [ResolvedImage]) -> CanonicalJSON.Fill {
        // Each element as the position of its first image and the tags of all of them.
        var elements: [ElementSource] = []
        var byDigest: [Digest: Int] = [:]
        for (position, image) in images.enumerated() where loadableNode(image) != nil {
            let tags = image.source.familiarTag.map { [$0] } ?? []
            if let existing = byDigest[image.entry.digest] {
                for tag in tags where !elements[existing].tags.contains(tag) { elements[existing].tags.append(tag) }
                continue
            }
            byDigest[image.entry.digest] = elements.count
            elements.append(ElementSource(image: position, tags: tags))
        }
        return CanonicalJSON.Fill(nil, elements) { element in
            guard let node = loadableNode(images[element.image]) else {
                throw FerryFormatError.output(path: "manifest.json", reason: "\(images[element.image].name) is no longer loadable")
            }
            return DockerManifestEntry(Config: node.manifest.config.digest.layoutPath, RepoTags: element.tags,
                                       Layers: node.manifest.layers.map(\.digest.layoutPath))
        }
    }

    /// What a `manifest.json` element is made from.
    private struct ElementSource: Sendable {
        let image: Int
        var tags: [String]
    }

    /// Legacy `repositories`: familiar repository → tag → config hex (the image ID).
    static func repositories(_ images: [ResolvedImage]) throws -> [UInt8] {
        var repositories: [String: [String: String]] = [:]
        for image in images {
            guard let familiar = image.source.familiarTag, let tag = image.source.tag,
                  let node = loadableNode(image) else { continue }
            let repository = String(familiar.dropLast(tag.count + 1))
            repositories[repository, default: [:]][tag] = node.manifest.config.digest.hex
        }
        return try CanonicalJSON.encode(repositories)
    }

    /// The content index of `plan`, its `images` and `blobs` rows made as they are encoded:
    /// at 10,000 images the rows as values were some 5 MB beside the plan they copy.
    /// `offsets` gives each blob's data offset in the tar; `fill` sets the other fields.
    static func contentIndex(_ plan: CopyPlan, offsets: [Digest: TarLayout.Slot], created: Date,
                             fill: (inout ContentIndex) -> Void) throws -> CanonicalJSON.Document {
        var shell = ContentIndex(schemaVersion: 1, mediaType: ContentIndex.mediaType,
                                 tool: .init(name: "ferry", version: FerryVersion.current),
                                 created: Timestamp.string(created), images: [], blobs: [])
        let attachments = plan.images.compactMap { image in
            image.subject.map { ContentIndex.Attachment(name: image.name, digest: image.entry.digest, mediaType: image.entry.mediaType,
                                                        size: image.entry.size, subject: $0) }
        }
        if !attachments.isEmpty { shell.attachments = attachments }
        if !plan.baseBundles.isEmpty {
            shell.base = ContentIndex.Base(bundles: plan.baseBundles, blobs: plan.external.map {
                ContentIndex.BaseBlob(digest: $0.digest, size: $0.size, mediaType: $0.mediaType)
            })
        }
        fill(&shell)
        let images = plan.images.indices.filter { plan.images[$0].subject == nil }
        return try shell.document(blobs: plan.blobs, { blob in
            ContentIndex.Blob(digest: blob.descriptor.digest, size: blob.descriptor.size,
                              mediaType: blob.descriptor.mediaType, offset: offsets[blob.descriptor.digest]?.dataOffset ?? 0)
        }, images: images, { position in
            let image = plan.images[position]
            return ContentIndex.Image(source: image.source.description, name: image.name, digest: image.entry.digest,
                                      mediaType: image.entry.mediaType, size: image.entry.size,
                                      platforms: image.platforms.map(\.description), sourceDigest: image.sourceIndexDigest)
        })
    }
}
