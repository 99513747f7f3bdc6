import FerryCore
import FerryFormat
import Foundation

/// An input's multi-platform index whose child manifests are not all in the input, or of which
/// `import --platform` wants only some.
///
/// Docker with the containerd image store (its default since 24/25) saves the full index of an
/// image, here 20 platforms, with the blobs of only the platform it has (issue 21, item 3). That
/// index cannot be pushed: the registry would refuse it, or worse, hold an index whose children
/// are missing. ferry imports what is there, by the rule export uses for a platform subset:
/// - one platform present (or chosen): its own manifest goes under the tag, digest unchanged;
/// - several: a new index of just those children, annotated with the original digest in
///   `dev.ferry.source-index-digest`, with a warning, since its digest is new.
/// What was left out is said. An index with every child present, and no `--platform`, is
/// imported as it is.
enum SparseIndex {
    struct Selection {
        /// The entry to import: the original index, one child, or a new index.
        var entry: Descriptor
        /// A new index ferry wrote (nil otherwise); it is pushed after its children.
        var builtIndex: StoredManifest?
        /// The children to walk (all of `entry`'s when `builtIndex` is nil and `entry` is the index).
        var children: [Descriptor]
        var leftOut: [String]
        var note: String?
    }

    /// The selection for `entry`, or nil when it is imported as it is (not an index, or whole).
    static func select(_ entry: Descriptor, store: any BlobStore, platforms: [Platform], image: String) throws -> Selection? {
        guard entry.mediaType.isIndex, store.blob(entry.digest) != nil else { return nil }
        guard case .index(let index) = try ParsedManifest.parse(try store.readVerified(entry), mediaType: entry.mediaType, digest: entry.digest) else {
            return nil
        }
        let present = index.manifests.filter { store.blob($0.digest) != nil }
        let wanted = present.filter { child in
            platforms.isEmpty || child.platform.map { candidate in platforms.contains { $0.matches(candidate) } } ?? false
        }
        guard wanted.count < index.manifests.count else { return nil }
        func label(_ child: Descriptor) -> String { child.platform?.description ?? child.digest.short }
        let leftOut = index.manifests.filter { child in !wanted.contains { $0.digest == child.digest } }.map(label)
        guard !wanted.isEmpty else {
            let holds = present.isEmpty ? "none of its \(index.manifests.count) platforms" : "only \(present.map(label).joined(separator: ", "))"
            throw FerryOperationsError.input(path: store.location, reason: "\(image): the input holds \(holds)\(platforms.isEmpty ? "" : " and --platform chose none of them")")
        }
        let partial = present.count < index.manifests.count
            ? "the input holds \(present.count) of the index's \(index.manifests.count) platforms" : "--platform chose \(wanted.count) of \(index.manifests.count) platforms"
        if wanted.count == 1 {
            let child = wanted[0]
            return Selection(entry: child, builtIndex: nil, children: [child], leftOut: leftOut,
                             note: "\(image): \(partial); importing \(label(child)) as the image itself (digest \(child.digest.short)); left out: \(leftOut.joined(separator: ", "))")
        }
        // The caller names the entry with the original entry's annotations (ImportPlanner.graph).
        let stored = try index.subset(wanted, of: entry)
        let built = stored.descriptor
        return Selection(entry: built, builtIndex: stored, children: wanted, leftOut: leftOut,
                         note: "\(image): \(partial); wrote a new index of \(wanted.count) of them (digest \(built.digest.short), not \(entry.digest.short)); left out: \(leftOut.joined(separator: ", "))")
    }
}
