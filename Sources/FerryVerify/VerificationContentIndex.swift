import FerryCore
import FerryFormat

/// `ferry-index.json` against the tar and `index.json` (ferry-bundle SPEC.md 7.5, 7.7, 7.8):
/// one row per blob member in tar order with its exact data offset and size, the media type of
/// the first descriptor reaching it, and one image per `index.json` entry in order.
enum VerificationContentIndex {
    static func check(_ index: ContentIndex, input: VerificationInput, graph: VerificationGraph,
                      indexEntries: [VerificationGraph.Entry]?, log: inout ProblemLog) {
        checkRows(index, input: input, graph: graph, log: &log)
        checkMembers(index, input: input, log: &log)
        if let indexEntries { checkImages(index, entries: indexEntries, log: &log) }
    }

    /// SPEC.md 3.7: each metadata member hashes to the digest the content index pins. These
    /// members carry every image name readers use, so a mismatch means the names may not be the
    /// ones the bundle was made (and signed) with: it affects every image.
    private static func checkMembers(_ index: ContentIndex, input: VerificationInput, log: inout ProblemLog) {
        for (name, pinned) in (index.members ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let member = input.members[name] else {
                log.add(.contentIndexMismatch, member: name, expected: pinned.description, actual: "absent", scope: .all,
                        "\(ContentIndex.memberName) pins \(name) (\(pinned.short)), which is not in the archive")
                continue
            }
            let actual: Digest
            do {
                actual = DigestHasher.digest(of: try input.read(member, limit: 64 << 20))
            } catch {
                log.add(.contentIndexMismatch, member: name, expected: pinned.description, actual: "unreadable", scope: .all,
                        "\(name) cannot be read to check it against \(ContentIndex.memberName): \(error)")
                continue
            }
            if actual != pinned {
                log.add(.contentIndexMismatch, member: name, expected: pinned.description, actual: actual.description, scope: .all,
                        "\(name) hashes to \(actual.short), but \(ContentIndex.memberName) pins \(pinned.short): the image names it gives are not the ones the bundle was made with")
            }
        }
    }

    private static func checkRows(_ index: ContentIndex, input: VerificationInput, graph: VerificationGraph,
                                  log: inout ProblemLog) {
        let name = ContentIndex.memberName
        var listed = Set<Digest>()
        for (position, row) in index.blobs.enumerated() {
            let digest = row.digest
            let path = digest.layoutPath
            let label = "\(name) blobs[\(position)] (\(digest.short))"
            guard listed.insert(digest).inserted else {
                log.add(.contentIndexMismatch, member: path, digest: digest, scope: .blob(digest), "\(label) lists the blob a second time")
                continue
            }
            guard let member = input.members[path] else {
                // A blob that index.json needs is already reported as missing; this is the same fact.
                if !log.has([.missingBlob], for: digest) {
                    log.add(.contentIndexMismatch, member: path, digest: digest, scope: .blob(digest),
                            "\(label) lists \(path), which is not in the archive")
                }
                continue
            }
            if let dataOffset = input.offset(of: member), row.offset != dataOffset {
                log.add(.contentIndexMismatch, member: path, digest: digest, expected: "\(dataOffset)", actual: "\(row.offset)",
                        offset: row.offset, length: row.size, scope: .blob(digest),
                        "\(label) says \(path) starts at byte \(row.offset), but its data starts at byte \(dataOffset) (off by \(row.offset - dataOffset)); a reader seeking by the index would read the wrong bytes")
            }
            if row.size != member.size && !log.has([.sizeMismatch], for: digest) {
                log.add(.contentIndexMismatch, member: path, digest: digest, expected: "\(member.size)", actual: "\(row.size)",
                        offset: input.offset(of: member), length: member.size, scope: .blob(digest),
                        "\(label) says \(path) has \(row.size) bytes; the member has \(member.size)")
            }
            // Which descriptor reaches a blob first is only known when every manifest was read.
            if graph.complete, let first = graph.firstMediaType[digest], first != row.mediaType {
                log.add(.contentIndexMismatch, member: path, digest: digest, expected: first.rawValue, actual: row.mediaType.rawValue,
                        scope: .blob(digest), "\(label) has mediaType \(row.mediaType); the first descriptor reaching it says \(first)")
            }
        }
        for blob in input.blobs where !listed.contains(blob.digest) {
            log.add(.contentIndexMismatch, member: blob.member.name, digest: blob.digest, offset: input.offset(of: blob.member),
                    length: blob.member.size, scope: .blob(blob.digest),
                    "\(blob.member.name) is in the archive but has no row in \(name); the content index does not pin it")
        }
        let rowOrder = index.blobs.map(\.digest)
        let tarOrder = input.blobs.map(\.digest)
        if Set(rowOrder) == Set(tarOrder) && rowOrder.count == tarOrder.count && rowOrder != tarOrder,
           let first = rowOrder.indices.first(where: { rowOrder[$0] != tarOrder[$0] }) {
            log.add(.contentIndexMismatch, member: name, expected: tarOrder[first].description, actual: rowOrder[first].description,
                    scope: .none, "\(name) lists the blobs in another order than the tar: row \(first) is \(rowOrder[first].short), member is \(tarOrder[first].short)")
        }
    }

    private static func checkImages(_ index: ContentIndex, entries: [VerificationGraph.Entry], log: inout ProblemLog) {
        let name = ContentIndex.memberName
        if index.images.count != entries.count {
            log.add(.contentIndexMismatch, member: name, expected: "\(entries.count) images", actual: "\(index.images.count) images",
                    scope: .all, "\(name) lists \(index.images.count) images, index.json has \(entries.count) entries")
        }
        for (position, (image, entry)) in zip(index.images, entries).enumerated() {
            let descriptor = entry.descriptor
            let annotations = descriptor.annotations ?? [:]
            var differences: [(field: String, expected: String, actual: String)] = []
            if image.digest != descriptor.digest {
                differences.append(("digest", descriptor.digest.description, image.digest.description))
            }
            // Every annotation a reader takes a name from must give this image's name: import
            // reads io.containerd.image.name first, other tools the ref name (issue 15, item 1:
            // checking only one let the other be swapped between entries).
            let names = [AnnotationKey.containerdImageName, AnnotationKey.refName].compactMap { key in annotations[key].map { (key, $0) } }
            if names.isEmpty { differences.append(("name", "none", image.name)) }
            for (key, value) in names where value != image.name { differences.append((key, value, image.name)) }
            if image.mediaType != descriptor.mediaType {
                differences.append(("mediaType", descriptor.mediaType.rawValue, image.mediaType.rawValue))
            }
            if image.size != descriptor.size { differences.append(("size", "\(descriptor.size)", "\(image.size)")) }
            let source = annotations[AnnotationKey.sourceIndexDigest]
            if image.sourceDigest?.description != source {
                differences.append(("sourceDigest", source ?? "none", image.sourceDigest?.description ?? "none"))
            }
            guard let first = differences.first else { continue }
            let text = differences.map { "\($0.field) \($0.actual) (index.json: \($0.expected))" }.joined(separator: ", ")
            log.add(.contentIndexMismatch, member: name, digest: descriptor.digest, expected: first.expected, actual: first.actual,
                    scope: .images([entry.name]), "\(name) images[\(position)] disagrees with index.json entry \(position) (\(entry.name)): \(text)")
        }
    }
}
