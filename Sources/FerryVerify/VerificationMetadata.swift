import FerryCore
import FerryFormat
import Foundation

/// Reading the small JSON members `ferry verify` starts from: `oci-layout`, `index.json`,
/// `ferry-index.json`. Each defect is recorded; the checks that need a member it could not read
/// are skipped, the rest still run.
enum VerificationMetadata {
    /// `ferry-index.json` lists every blob (~150 bytes each): this allows about a million.
    static let contentIndexLimit: Int64 = 256 << 20

    /// `oci-layout` must say `imageLayoutVersion` 1.0.0 (SPEC.md 7.3); a ferry bundle must also
    /// carry `manifest.json` and `repositories` (rule 1.1).
    static func checkLayoutMembers(_ input: VerificationInput, log: inout ProblemLog) {
        var required = ["oci-layout"]
        if input.kind == .ferryBundle { required += ["manifest.json", "repositories"] }
        for name in required where input.members[name] == nil {
            log.add(.missingMember, member: name, scope: .none, "\(name) is missing; a \(input.kind.rawValue) must carry it")
        }
        guard let member = input.members["oci-layout"] else { return }
        struct Layout: Decodable { var imageLayoutVersion: String }
        do {
            let layout = try JSONDecoder().decode(Layout.self, from: Data(try input.read(member, limit: 1 << 16)))
            guard layout.imageLayoutVersion == "1.0.0" else {
                log.add(.invalidMetadata, member: member.name, expected: "1.0.0", actual: layout.imageLayoutVersion, scope: .none,
                        "oci-layout declares imageLayoutVersion \(layout.imageLayoutVersion), expected 1.0.0")
                return
            }
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size, scope: .none,
                    "oci-layout is not a valid layout marker: \(DecodingSummary.of(error))")
        }
    }

    /// The `index.json` entries, or nil (recorded) when `index.json` is absent or unusable.
    static func indexEntries(_ input: VerificationInput, log: inout ProblemLog) -> [VerificationGraph.Entry]? {
        guard let member = input.members["index.json"] else {
            log.add(.missingMember, member: "index.json", scope: .all, "index.json is missing; no OCI reader can find the images")
            return nil
        }
        do {
            let bytes = try input.read(member, limit: Int64(ParsedManifest.maximumSize))
            // Docker 25.0.0/25.0.1's `"manifests": null` (an untagged save): no entries, so the
            // images are walked from manifest.json, as readers do (issue 21, item 2).
            if input.kind == .dockerArchive, (try? BundleGraph.decodeIndex(bytes, location: member.name))?.manifests.isEmpty == true {
                return []
            }
            guard case .index(let index) = try ParsedManifest.parse(bytes, mediaType: .ociIndex, digest: nil) else {
                throw FerryFormatError.input(path: member.name, reason: "is not an image index")
            }
            return index.manifests.map { VerificationGraph.Entry(descriptor: $0, name: Self.name(of: $0)) }
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size, scope: .all,
                    "index.json is unusable: \(error)")
            return nil
        }
    }

    /// What `ferry-index.json` holds: the SHA-256 of its bytes and, when it decodes, the index.
    struct ContentIndexMember: Sendable {
        let member: VerificationInput.Member
        let digest: Digest
        let index: ContentIndex?
    }

    /// Reads and decodes `ferry-index.json` (SPEC.md 7.4); nil when the input has none or it
    /// cannot be read (recorded).
    static func contentIndex(_ input: VerificationInput, expectedDigest: Digest?,
                             log: inout ProblemLog) -> ContentIndexMember? {
        guard let member = input.members[ContentIndex.memberName] else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try input.read(member, limit: contentIndexLimit)
        } catch {
            log.add(.readError, member: member.name, offset: input.offset(of: member), length: member.size, scope: .none,
                    "\(member.name) cannot be read: \(error)")
            return nil
        }
        let digest = DigestHasher.digest(of: bytes)
        if let expectedDigest, expectedDigest != digest {
            log.add(.contentIndexDigest, member: member.name, expected: expectedDigest.description, actual: digest.description,
                    offset: input.offset(of: member), length: member.size, scope: .all,
                    "\(member.name) hashes to \(digest), not the \(expectedDigest) recorded at export: this is not the bundle you made, or it was altered")
        }
        struct Version: Decodable { var schemaVersion: Int?; var mediaType: String? }
        do {
            let version = try JSONDecoder().decode(Version.self, from: Data(bytes))
            guard version.schemaVersion == 1 else {
                let found = version.schemaVersion.map(String.init) ?? "none"
                let newer = (version.schemaVersion ?? 0) > 1 ? " (written by a newer ferry)" : ""
                log.add(.invalidMetadata, member: member.name, expected: "1", actual: found, scope: .none,
                        "\(member.name) has schemaVersion \(found)\(newer); this ferry reads 1")
                return ContentIndexMember(member: member, digest: digest, index: nil)
            }
            if version.mediaType != ContentIndex.mediaType {
                log.add(.invalidMetadata, member: member.name, expected: ContentIndex.mediaType, actual: version.mediaType ?? "none",
                        scope: .none, "\(member.name) has mediaType \(version.mediaType ?? "none"), expected \(ContentIndex.mediaType)")
            }
            let index = try JSONDecoder().decode(ContentIndex.self, from: Data(bytes))
            return ContentIndexMember(member: member, digest: digest, index: index)
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size, scope: .none,
                    "\(member.name) does not decode: \(DecodingSummary.of(error))")
            return ContentIndexMember(member: member, digest: digest, index: nil)
        }
    }

    /// The content index's images as graph roots, for a bundle whose `index.json` is unusable:
    /// the images can still be checked and named.
    static func entries(from index: ContentIndex) -> [VerificationGraph.Entry] {
        index.images.map { image in
            VerificationGraph.Entry(descriptor: Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size),
                                    name: image.name)
        }
    }

    /// An entry's name by the import rules, or its digest when it has none.
    static func name(of entry: Descriptor) -> String {
        ImageNaming.name(of: entry)?.description ?? entry.digest.description
    }
}
