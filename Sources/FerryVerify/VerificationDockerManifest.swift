import FerryArchive
import FerryCore
import FerryFormat
import Foundation

/// `manifest.json` (the docker-archive side) against `index.json` (ferry-bundle SPEC.md 7.9,
/// `formats/docker-archive/`): every element's `Config` and `Layers` are members of the archive
/// and are exactly the config and layers of one single-platform image of `index.json`. In a
/// ferry bundle, every loadable single-platform entry also has its element, whose `RepoTags`
/// are the merged familiar tags of the entries with that digest.
enum VerificationDockerManifest {
    /// One `manifest.json` element (the shared reader's type).
    typealias Element = DockerManifestFile.Element

    /// A single-platform `index.json` entry, as manifest.json should mirror it.
    private struct Candidate {
        let digest: Digest
        /// Its config's digest, then its layers': what its element must name. Nil when the
        /// manifest could not be read (already reported): its element, found by position, is
        /// then not checked.
        let blobs: [Digest]?
        var names: [String]
        var tags: [String]

        var configPath: String? { blobs?.first?.layoutPath }
        var layerPaths: [String]? { blobs?.dropFirst().map(\.layoutPath) }
    }

    /// A manifest's config digest, then its layers': the key elements are matched by.
    private static func blobs(of manifest: ImageManifest) -> [Digest] {
        [manifest.config.digest] + manifest.layers.map(\.digest)
    }

    static func check(_ input: VerificationInput, graph: VerificationGraph, log: inout ProblemLog) {
        guard let member = input.members["manifest.json"] else { return }
        let candidates = self.candidates(graph, loadableOnly: input.kind == .ferryBundle)
        let elements: [Element]
        do {
            elements = try JSONDecoder().decode([Element].self, from: Data(try input.read(member, limit: Int64(ParsedManifest.maximumSize))))
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size,
                    scope: .images(candidates.flatMap(\.names)),
                    "manifest.json is unusable, so docker-archive readers cannot load any image: \(DecodingSummary.of(error))")
            return
        }
        // Looked up by config and layer digests, not searched: at 10,000 images a search per
        // element made the check quadratic (minutes of path strings made and compared).
        var byBlobs: [[Digest]: Int] = [:]
        for (position, candidate) in candidates.enumerated() {
            guard let blobs = candidate.blobs, byBlobs[blobs] == nil else { continue }
            byBlobs[blobs] = position
        }
        var children: [[Digest]: Digest]?
        var matched = Set<Digest>()
        // Elements already reported as wrong are left out of the repositories check (one fact,
        // one problem).
        var reported = Set<Int>()
        for (position, element) in elements.enumerated() {
            let label = "manifest.json[\(position)]"
            guard let config = normalised(element.Config, label: label, log: &log) else { continue }
            var layers: [String] = []
            for layer in element.Layers {
                guard let path = normalised(layer, label: label, log: &log) else { break }
                layers.append(path)
            }
            guard layers.count == element.Layers.count else { continue }
            // Paths (normalised above) that are not `blobs/<alg>/<hex>` name no image's blobs.
            let named = ([config] + layers).compactMap { Digest(layoutPath: $0) }
            let key = named.count == layers.count + 1 ? named : nil
            if let hit = key.flatMap({ byBlobs[$0] }).map({ candidates[$0] }) {
                matched.insert(hit.digest)
                if input.kind == .ferryBundle, (element.RepoTags ?? []) != hit.tags {
                    log.add(.dockerManifestMismatch, member: member.name, digest: hit.digest, expected: hit.tags.joined(separator: ","),
                            actual: (element.RepoTags ?? []).joined(separator: ","), scope: .images(hit.names),
                            "\(label) has RepoTags [\((element.RepoTags ?? []).joined(separator: ", "))]; index.json names give [\(hit.tags.joined(separator: ", "))]")
                }
                continue
            }
            // Not one of the entries: a child of an index (Docker 25 saves of multi-platform
            // images) is fine when the archive carries it whole.
            if key != nil && children == nil {
                children = Dictionary(graph.imageManifests.map { (blobs(of: $0.value), $0.key) }, uniquingKeysWith: { first, _ in first })
            }
            if let key, let child = children?[key] {
                matched.insert(child)
                continue
            }
            let positional = position < candidates.count ? candidates[position] : nil
            // The element stands for the entry at its position: one problem, named on the element.
            if let positional { matched.insert(positional.digest) }
            if let positional, positional.blobs == nil { continue }
            reported.insert(position)
            reportMismatch(label: label, config: config, layers: layers, positional: positional, input: input, log: &log)
        }
        guard input.kind == .ferryBundle else { return }
        checkRepositories(input, elements: elements, skipping: reported, log: &log)
        for candidate in candidates where candidate.blobs != nil && !matched.contains(candidate.digest) {
            log.add(.dockerManifestMismatch, member: member.name, digest: candidate.digest, scope: .images(candidate.names),
                    "manifest.json has no element for \(candidate.names.joined(separator: ", ")) (\(candidate.digest.short)); docker-archive readers cannot load it")
        }
    }

    /// The images of a docker-archive without `index.json` (ferry's `--bundle-format
    /// docker-archive`, a Docker 25+ save stripped of its OCI side): one per element, named by
    /// its first `RepoTags` entry or its config digest, its config and layers as graph roots. The
    /// blobs have no descriptors, so their sizes are taken from the members; their digests come
    /// from the `blobs/<alg>/<hex>` paths. Older archives (`<id>/layer.tar`) are refused: their
    /// layers could only be checked against the configs' diff IDs, which ferry does not do yet.
    /// `manifest.json` names a member that is not `blobs/<alg>/<hex>`: an archive of `docker
    /// save` before 25, verified by `BundleVerifier.legacyDockerArchive` instead.
    struct LegacyArchive: Error {
        let element: Int
        let path: String
    }

    static func roots(_ input: VerificationInput, log: inout ProblemLog) throws -> [VerificationGraph.Entry] {
        guard let member = input.members["manifest.json"] else { return [] }
        let elements: [Element]
        do {
            elements = try JSONDecoder().decode([Element].self, from: Data(try input.read(member, limit: Int64(ParsedManifest.maximumSize))))
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size, scope: .none,
                    "manifest.json is unusable, so no image can be found: \(DecodingSummary.of(error))")
            return []
        }
        var entries: [VerificationGraph.Entry] = []
        for (position, element) in elements.enumerated() {
            var descriptors: [Descriptor] = []
            var missing: [(String, Digest)] = []
            for (index, path) in ([element.Config] + element.Layers).enumerated() {
                guard let digest = VerificationInput.blobDigest(path) else {
                    // A docker-archive from before Docker 25: checked the legacy way instead.
                    throw LegacyArchive(element: position, path: path)
                }
                let mediaType: MediaType = index == 0 ? .dockerConfig : .dockerLayerGzip
                guard let blob = input.members[digest.layoutPath] else {
                    missing.append((digest.layoutPath, digest))
                    continue
                }
                descriptors.append(Descriptor(mediaType: mediaType, digest: digest, size: blob.size))
            }
            let config = VerificationInput.blobDigest(element.Config)
            let name = element.RepoTags?.first ?? config?.description ?? "manifest.json[\(position)]"
            for (path, digest) in missing {
                log.add(.missingBlob, member: path, digest: digest, scope: .images([name]),
                        "\(path) is missing: manifest.json[\(position)] (\(name)) needs it")
            }
            guard let config else { continue }
            let identity = Descriptor(mediaType: .dockerConfig, digest: config, size: input.members[config.layoutPath]?.size ?? 0)
            entries.append(VerificationGraph.Entry(descriptor: identity, name: name, roots: descriptors))
        }
        return entries
    }

    /// `repositories` against `manifest.json` (SPEC.md rule 5.3): familiar repository → tag →
    /// hex of the config digest, exactly one entry per `RepoTags` entry of an element. Older
    /// loaders tag images from this file, so a disagreement would tag the wrong image there.
    private static func checkRepositories(_ input: VerificationInput, elements: [Element], skipping reported: Set<Int>,
                                          log: inout ProblemLog) {
        guard let member = input.members["repositories"] else { return }
        let found: [String: [String: String]]
        do {
            found = try JSONDecoder().decode([String: [String: String]].self, from: Data(try input.read(member, limit: 16 << 20)))
        } catch {
            log.add(.invalidMetadata, member: member.name, offset: input.offset(of: member), length: member.size, scope: .none,
                    "repositories is not a JSON object of repository → tag → image ID: \(DecodingSummary.of(error))")
            return
        }
        var expected: [String: [String: String]] = [:]
        var ignored = Set<String>()
        for (position, element) in elements.enumerated() {
            let hex = String(element.Config.split(separator: "/").last ?? "")
            for repoTag in element.RepoTags ?? [] {
                guard let colon = repoTag.lastIndex(of: ":"), !repoTag[colon...].contains("/") else { continue }
                if reported.contains(position) {
                    ignored.insert(repoTag)
                    continue
                }
                expected[String(repoTag[..<colon]), default: [:]][String(repoTag[repoTag.index(after: colon)...])] = hex
            }
        }
        // The pairs one table has and the other lacks, compared in place (as sets of strings,
        // both tables' pairs were four copies of 10,000 strings at a bundle verify's peak).
        let only = { (table: [String: [String: String]], other: [String: [String: String]]) in
            table.flatMap { repo, tags in
                tags.filter { other[repo]?[$0.key] != $0.value && !ignored.contains("\(repo):\($0.key)") }
                    .map { "\(repo):\($0.key) → \($0.value)" }
            }.sorted()
        }
        let missing = only(expected, found)
        let extra = only(found, expected)
        guard !missing.isEmpty || !extra.isEmpty else { return }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("manifest.json gives \(missing.prefix(3).joined(separator: ", ")) but repositories does not") }
        if !extra.isEmpty { parts.append("repositories has \(extra.prefix(3).joined(separator: ", ")) which manifest.json does not") }
        log.add(.dockerManifestMismatch, member: member.name, expected: missing.first, actual: extra.first,
                offset: input.offset(of: member), length: member.size, scope: .none,
                "repositories disagrees with manifest.json: \(parts.joined(separator: "; ")); loaders that read repositories would tag the wrong image")
    }

    /// Names exactly what is wrong with an element that matches no image: a path that is not in
    /// the archive first, else the first difference from the entry at the same position.
    private static func reportMismatch(label: String, config: String, layers: [String], positional: Candidate?,
                                       input: VerificationInput, log: inout ProblemLog) {
        let missing = ([config] + layers).first { input.members[$0] == nil }
        var expected: String?
        var actual: String?
        var detail: String
        if let wanted = positional?.configPath, wanted != config {
            (expected, actual) = (wanted, config)
            detail = "its Config is \(config), but the image's config is \(wanted)"
        } else if let wanted = positional?.layerPaths, wanted != layers {
            let common = min(wanted.count, layers.count)
            let index = (0..<common).first { wanted[$0] != layers[$0] } ?? common
            expected = index < wanted.count ? wanted[index] : "no layer \(index)"
            actual = index < layers.count ? layers[index] : "no layer \(index)"
            detail = "its Layers[\(index)] is \(actual ?? ""), but the image's is \(expected ?? "")"
        } else {
            detail = "it matches no single-platform image of index.json"
        }
        if let missing { detail = "\(missing) is not in the archive; " + detail }
        let names = positional?.names ?? []
        let about = names.isEmpty ? "" : " (\(names.joined(separator: ", ")))"
        let digest = missing.flatMap(VerificationInput.blobDigest)
        log.add(.dockerManifestMismatch, member: missing ?? "manifest.json", digest: digest, expected: expected, actual: actual,
                scope: positional.map { .images($0.names) } ?? .none,
                "\(label)\(about): \(detail); docker-archive readers cannot load it")
    }

    /// Single-platform entries in order of first appearance, each with every name it has and
    /// the familiar tags those names give (SPEC.md rule 5.1).
    private static func candidates(_ graph: VerificationGraph, loadableOnly: Bool) -> [Candidate] {
        var candidates: [Candidate] = []
        var positions: [Digest: Int] = [:]
        for entry in graph.entries {
            let digest = entry.descriptor.digest
            guard entry.descriptor.mediaType.isImageManifest else { continue }
            let manifest = graph.entryManifest(digest)
            // Same rule as the writer (BundleMetadata.loadableNode): container images only, not
            // artifacts (an image config with non-layer "layers", as cosign signatures have, or
            // anything exported as attached to another image).
            if loadableOnly, let manifest,
               !manifest.config.mediaType.isImageConfig || !manifest.layers.allSatisfy(\.mediaType.isLayer)
                || !manifest.nonDistributableLayers.isEmpty
                || entry.descriptor.annotations?[AnnotationKey.subject] != nil { continue }
            let tag = ImageNaming.name(of: entry.descriptor)?.familiarTag
            if let index = positions[digest] {
                if !candidates[index].names.contains(entry.name) { candidates[index].names.append(entry.name) }
                if let tag, !candidates[index].tags.contains(tag) { candidates[index].tags.append(tag) }
                continue
            }
            positions[digest] = candidates.count
            candidates.append(Candidate(digest: digest, blobs: manifest.map(blobs), names: [entry.name], tags: tag.map { [$0] } ?? []))
        }
        return candidates
    }

    /// A path from manifest.json resolved inside the archive, or nil (recorded) when it could
    /// leave it.
    private static func normalised(_ path: String, label: String, log: inout ProblemLog) -> String? {
        do {
            if let name = try MemberName.normalise(path) { return name }
            throw FerryArchiveError.unsafeMemberName(path, reason: "names the archive root")
        } catch {
            log.add(.dockerManifestMismatch, member: "manifest.json", actual: path, scope: .none, "\(label) names an unusable path: \(error)")
            return nil
        }
    }
}
