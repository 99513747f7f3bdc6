import FerryCore
import FerryFormat

/// The image graph of an input, walked from its `index.json` entries: every index and manifest
/// is read, hashed and parsed before its children are trusted; configs and layers are only
/// checked for presence and size here (their bytes are hashed afterwards, in parallel).
///
/// The walk records, for every digest, which images need it, so any problem found later can
/// name every image it breaks; and the media type of the first descriptor reaching each blob
/// (ferry-bundle SPEC.md rule 1.2), which the content index must repeat.
struct VerificationGraph: Sendable {
    /// One `index.json` entry (or, when `index.json` is unusable, one content-index image; or,
    /// in a docker-archive without `index.json`, one `manifest.json` element, identified by its
    /// config and walked from its config and layers).
    struct Entry: Sendable {
        /// What identifies the image in the report (its digest).
        let descriptor: Descriptor
        /// The entry's name (`ImageNaming`), or its digest when unnamed.
        let name: String
        /// The blobs to walk from, when not `descriptor` itself: a docker-archive element has no
        /// manifest, only a config and layers (those present; the absent ones are reported by
        /// whoever builds the entry).
        var roots: [Descriptor]?
    }

    private struct ParseKey: Hashable {
        let digest: Digest
        let mediaType: MediaType
    }

    /// Nested indexes deeper than this are refused (real images nest at most twice).
    static let maximumDepth = 8

    let entries: [Entry]
    /// Image names needing each digest, in entry order (read through `images(using:)`).
    private(set) var users: [Digest: [String]] = [:]
    /// Media type of the first descriptor that reaches each digest.
    private(set) var firstMediaType: [Digest: MediaType] = [:]
    /// Digests whose bytes were hashed during the walk (manifests), and whether they matched.
    private(set) var hashed: [Digest: Bool] = [:]
    private(set) var bytesHashed: Int64 = 0
    /// Manifests that could not be read (reported); not tried again.
    private(set) var unreadable = Set<Digest>()
    /// Non-distributable layers that are absent, and who needs them.
    private(set) var omitted: [Digest: Descriptor] = [:]
    /// Configs and layers an incremental bundle leaves to its base bundles (SPEC.md §12).
    private let external: [Digest: ContentIndex.BaseBlob]
    /// Those of them the images reach (absent from the input, as the content index says).
    private(set) var fromBase: [Digest: Descriptor] = [:]
    /// False when some manifest could not be read or parsed, so its children are unknown.
    private(set) var complete = true
    /// What parsing each manifest under each media type gave. An image manifest is kept once,
    /// in `imageManifests`: at 10,000 images three maps holding each manifest were a fifth of
    /// a bundle verify's peak.
    private var parsed: [ParseKey: Parsed] = [:]
    private enum Parsed {
        case image
        case index(ImageIndex)
        case unusable
    }

    /// The entries that are single-platform images (their manifests in `imageManifests`).
    private var entryImages = Set<Digest>()
    /// Whether index children may be absent (see `init`).
    private let partialIndexes: Bool
    /// Manifests whose bytes are sound but do not parse as the media type a descriptor gives,
    /// with the reason; and which images were blamed for each.
    private var unusable: [ParseKey: String] = [:]
    private struct Blame: Hashable { var key: ParseKey; var image: String }
    private var blamed: Set<Blame> = []

    /// Every image manifest parsed anywhere in the graph (entries and children of indexes).
    private(set) var imageManifests: [Digest: ImageManifest] = [:]

    /// Walks every entry.
    ///
    /// `partialIndexes`: an index child whose manifest is not in the input is noted as omitted,
    /// not reported missing. For archives other tools wrote (no content index): Docker with the
    /// containerd store saves an image's whole index with the blobs of only the platforms it has;
    /// such an archive is partial by construction, and what it holds is checked as usual (issue
    /// 21, item 3). ferry never writes one, so in a ferry bundle a missing child is damage.
    init(entries: [Entry], input: VerificationInput, external: [Digest: ContentIndex.BaseBlob] = [:], partialIndexes: Bool = false,
         log: inout ProblemLog) {
        self.entries = entries
        self.external = external
        self.partialIndexes = partialIndexes
        for entry in entries {
            var seen = Set<Digest>()
            let parent = entry.roots == nil ? "index.json entry \(entry.name)" : "manifest.json element \(entry.name)"
            for root in entry.roots ?? [entry.descriptor] {
                visit(root, image: entry.name, parent: parent, mayBeAbsent: false, depth: 0, input: input, seen: &seen, log: &log)
            }
            if case .image? = parsed[ParseKey(digest: entry.descriptor.digest, mediaType: entry.descriptor.mediaType)] {
                entryImages.insert(entry.descriptor.digest)
            }
        }
    }

    /// The parsed image manifest of an entry that is a single-platform image.
    func entryManifest(_ digest: Digest) -> ImageManifest? {
        entryImages.contains(digest) ? imageManifests[digest] : nil
    }

    /// Whether any image needs `digest`.
    func isUsed(_ digest: Digest) -> Bool { users[digest] != nil }

    /// Names of the images that need `digest`, in entry order.
    func images(using digest: Digest) -> [String] {
        var seen = Set<String>()
        return (users[digest] ?? []).filter { seen.insert($0).inserted }
    }

    private mutating func visit(_ descriptor: Descriptor, image: String, parent: String, mayBeAbsent: Bool, depth: Int,
                                input: VerificationInput, seen: inout Set<Digest>, log: inout ProblemLog) {
        let digest = descriptor.digest
        // Entries are walked one at a time, so an image already listed is the last one; a name
        // that two entries share may be listed twice, which `images(using:)` folds. (Searching
        // the list made a base layer of 10,000 images cost 50 million string comparisons.)
        if users[digest]?.last != image { users[digest, default: []].append(image) }
        if firstMediaType[digest] == nil { firstMediaType[digest] = descriptor.mediaType }
        guard seen.insert(digest).inserted else { return }
        let path = digest.layoutPath
        guard let member = input.members[path] else {
            if mayBeAbsent {
                omitted[digest] = descriptor
                return
            }
            if let base = external[digest], !descriptor.mediaType.isManifest {
                fromBase[digest] = descriptor
                if base.size != descriptor.size {
                    log.add(.sizeMismatch, member: path, digest: digest, expected: "\(descriptor.size)", actual: "\(base.size)",
                            scope: .blob(digest),
                            "\(path) is left to the base bundle with \(base.size) bytes, but \(parent) says \(descriptor.size)")
                }
                return
            }
            if descriptor.mediaType.isManifest { complete = false }
            log.add(.missingBlob, member: path, digest: digest, expected: "\(descriptor.size) bytes", scope: .blob(digest),
                    "\(path) is missing: \(parent) needs it (\(descriptor.mediaType), \(descriptor.size) bytes)")
            return
        }
        guard member.size == descriptor.size else {
            if descriptor.mediaType.isManifest { complete = false }
            log.add(.sizeMismatch, member: path, digest: digest, expected: "\(descriptor.size)", actual: "\(member.size)",
                    offset: input.offset(of: member), length: member.size, scope: .blob(digest),
                    "\(path) has \(member.size) bytes, but \(parent) says \(descriptor.size) (\(member.size < descriptor.size ? "cut short" : "too long"))")
            return
        }
        guard descriptor.mediaType.isManifest else { return }
        guard depth < Self.maximumDepth else {
            complete = false
            log.add(.malformedManifest, member: path, digest: digest, scope: .blob(digest),
                    "\(path): indexes nested more than \(Self.maximumDepth) deep under \(image); not followed")
            return
        }
        guard let manifest = manifest(descriptor, image: image, member: member, input: input, log: &log) else {
            complete = false
            return
        }
        let here = "\(descriptor.mediaType.isIndex ? "index" : "manifest") \(digest)"
        switch manifest {
        case .index(let index):
            for child in index.manifests {
                visit(child, image: image, parent: here, mayBeAbsent: partialIndexes && child.mediaType.isManifest, depth: depth + 1,
                      input: input, seen: &seen, log: &log)
            }
        case .image(let imageManifest):
            let absentAllowed = Set(imageManifest.nonDistributableLayers.map(\.digest))
            visit(imageManifest.config, image: image, parent: here, mayBeAbsent: false, depth: depth + 1, input: input,
                  seen: &seen, log: &log)
            for layer in imageManifest.layers {
                visit(layer, image: image, parent: here, mayBeAbsent: absentAllowed.contains(layer.digest), depth: depth + 1,
                      input: input, seen: &seen, log: &log)
            }
        }
    }

    /// Reads, hashes and parses a manifest once per digest and media type; nil (with the problem
    /// recorded) when it is unreadable, damaged or malformed.
    private mutating func manifest(_ descriptor: Descriptor, image: String, member: VerificationInput.Member, input: VerificationInput,
                                   log: inout ProblemLog) -> ParsedManifest? {
        let key = ParseKey(digest: descriptor.digest, mediaType: descriptor.mediaType)
        switch parsed[key] {
        case .image?:
            return imageManifests[descriptor.digest].map(ParsedManifest.image)
        case .index(let index)?:
            return .index(index)
        case .unusable?:
            if let reason = unusable[key], blamed.insert(Blame(key: key, image: image)).inserted {
                logUnusable(descriptor, member: member, input: input, image: image, reason: reason, log: &log)
            }
            return nil
        case nil:
            let result = readAndParse(descriptor, image: image, member: member, input: input, log: &log)
            switch result {
            case .image(let manifest)?:
                parsed[key] = .image
                imageManifests[descriptor.digest] = manifest
            case .index(let index)?:
                parsed[key] = .index(index)
            case nil:
                parsed[key] = .unusable
            }
            return result
        }
    }

    private mutating func readAndParse(_ descriptor: Descriptor, image: String, member: VerificationInput.Member, input: VerificationInput,
                                       log: inout ProblemLog) -> ParsedManifest? {
        let digest = descriptor.digest
        guard member.size <= Int64(ParsedManifest.maximumSize) else {
            log.add(.malformedManifest, member: member.name, digest: digest, actual: "\(member.size) bytes",
                    offset: input.offset(of: member), length: member.size, scope: .blob(digest),
                    "\(member.name) is \(member.size) bytes, over the \(ParsedManifest.maximumSize)-byte limit for a manifest")
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = try input.read(member, limit: Int64(ParsedManifest.maximumSize))
        } catch {
            unreadable.insert(digest)
            log.add(.readError, member: member.name, digest: digest, offset: input.offset(of: member), length: member.size,
                    scope: .blob(digest), "\(member.name) cannot be read: \(error)")
            return nil
        }
        if hashed[digest] == nil {
            let actual = DigestHasher.digest(of: bytes, algorithm: digest.algorithm)
            hashed[digest] = actual == digest
            bytesHashed += Int64(bytes.count)
            if actual != digest {
                log.add(.digestMismatch, member: member.name, digest: digest, expected: digest.description, actual: actual.description,
                        offset: input.offset(of: member), length: member.size, scope: .blob(digest),
                        "\(member.name) is damaged: expected \(digest), content hashes to \(actual)")
            }
        }
        guard hashed[digest] == true else { return nil }
        do {
            return try ParsedManifest.parse(bytes, mediaType: descriptor.mediaType, digest: digest)
        } catch {
            // The bytes are sound (they hash to their digest); it is this descriptor's media
            // type that does not fit them. Only the images that reach the blob through such a
            // descriptor are blamed; others reaching it with the right type are fine (issue 21,
            // item 5).
            let key = ParseKey(digest: digest, mediaType: descriptor.mediaType)
            unusable[key] = "\(error)"
            blamed.insert(Blame(key: key, image: image))
            logUnusable(descriptor, member: member, input: input, image: image, reason: "\(error)", log: &log)
            return nil
        }
    }

    private func logUnusable(_ descriptor: Descriptor, member: VerificationInput.Member, input: VerificationInput, image: String,
                             reason: String, log: inout ProblemLog) {
        log.add(.malformedManifest, member: member.name, digest: descriptor.digest, expected: descriptor.mediaType.rawValue,
                offset: input.offset(of: member), length: member.size, scope: .images([image]),
                "\(member.name) is not a usable \(descriptor.mediaType) (\(image) names it so): \(reason)")
    }
}
