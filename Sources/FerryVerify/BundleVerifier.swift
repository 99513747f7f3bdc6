import FerryArchive
public import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ferry verify`: proves that a bundle (or any OCI archive or layout) is complete and untouched
/// (`formats/ferry-bundle/SPEC.md` §7).
///
/// One pass over the tar headers lists the members and every structural defect; then the image
/// graph is walked from `index.json` (each manifest hashed before it is parsed), `manifest.json`
/// and `ferry-index.json` are checked against it and against the tar, and finally every blob is
/// hashed, in parallel across cores. Nothing stops at the first problem: the report lists all of
/// them, each with the member, digest, expected and actual values, byte range, and every image
/// it breaks.
///
/// Throws `FerryFormatError.input` only when the input cannot be read as an image archive at all
/// (missing, compressed, not a tar, no `index.json` nor `ferry-index.json`); damage found in a
/// readable input is returned as a report with `ok == false`.
public struct BundleVerifier: Sendable {
    /// Receives `.planned`, `.bytes`, `.blobFinished` while blobs are hashed, then
    /// `.imageCompleted` for each image found intact, and `.finished`.
    public let progress: ProgressHandler

    /// A verifier reporting progress to `progress`.
    public init(progress: @escaping ProgressHandler = { _ in }) {
        self.progress = progress
    }

    /// Verifies `options.input` and reports everything found; throws only when the input
    /// cannot be read as an image archive at all (`FerryFormatError.input`, or
    /// `FerryCoreError.io` when reading fails).
    public func run(_ options: VerifyOptions) async throws -> VerificationReport {
        // A compressed bundle is decompressed once into a temporary copy and that is verified.
        // A damaged compressed stream cannot be read past the damage: that is an unreadable
        // input (an error), not a damage report (formats/ferry-bundle/SPEC.md).
        let scratch = FileSystem.newScratch("verify")
        defer { FileSystem.removeScratch(scratch) }
        let bundle = try await Blocking.run { try BundleInput.open(options.input, scratch: scratch, limit: options.decompressionLimit) }
        let (verified, input) = try await verify(options, bundle: bundle)
        var report = verified
        report.input = options.input
        // A split bundle: say which part file each damaged range is in.
        if let parts = bundle.parts {
            for index in report.problems.indices {
                guard let offset = report.problems[index].offset else { continue }
                let part = parts.describe(offset: offset)
                report.problems[index].part = part
                report.problems[index].message += " [\(part)]"
            }
        }
        if let key = options.publicKey {
            // A split bundle's sidecar sits beside its joined name: site-a.tar.sig.
            let problem = try await Blocking.run { Self.signatureProblem(input, sidecar: bundle.files.signature, key: key) }
            if let problem {
                report.problems.append(problem)
                report.ok = false
            }
        }
        return report
    }

    /// The report, and the member list it was made from (nil for a legacy docker-archive).
    private func verify(_ options: VerifyOptions, bundle: BundleInput) async throws -> (VerificationReport, VerificationInput?) {
        let prepared: Prepared
        do {
            prepared = try await Blocking.run { try Self.prepare(options, bundle: bundle) }
        } catch is VerificationDockerManifest.LegacyArchive {
            return (try await Blocking.run { try Self.legacyDockerArchive(bundle) }, nil)
        }
        var log = prepared.log
        let jobs = Self.hashJobs(prepared)
        let images = prepared.graph?.entries ?? []
        progress(.imagesPlanned(images.count))
        let total = jobs.reduce(0) { $0 + $1.member.size }
        progress(.checking(blobs: jobs.count, bytes: total))
        let results = try await VerificationHashing.run(jobs, input: prepared.input, width: options.jobs, progress: progress)
        var blobsChecked = prepared.graph?.hashed.count ?? 0
        var bytesChecked = prepared.graph?.bytesHashed ?? 0
        for result in results {
            if Self.record(result, input: prepared.input, log: &log) {
                blobsChecked += 1
                bytesChecked += result.job.member.size
            }
        }
        let report = Self.report(prepared, log: log, blobsChecked: blobsChecked, bytesChecked: bytesChecked)
        for image in report.images where image.status == .ok { progress(.imageCompleted(image: image.name)) }
        progress(.finished)
        return (report, prepared.input)
    }

    /// Everything before hashing the blobs: the member list, the metadata, the graph.
    struct Prepared: Sendable {
        let input: VerificationInput
        let graph: VerificationGraph?
        let contentIndex: VerificationMetadata.ContentIndexMember?
        let log: ProblemLog
        /// Whether blobs left to base bundles were checked against `--base`.
        var baseChecked = false
    }

    static func prepare(_ options: VerifyOptions, bundle: BundleInput) throws -> Prepared {
        var log = ProblemLog()
        let input = try VerificationInput.open(bundle, log: &log)
        guard input.listed else { return Prepared(input: input, graph: nil, contentIndex: nil, log: log) }
        let hasIndex = input.members["index.json"] != nil
        // A docker-archive with no OCI side (ferry's --bundle-format docker-archive) is walked
        // from manifest.json instead.
        let dockerOnly = !hasIndex && input.kind == .dockerArchive
        guard hasIndex || dockerOnly || input.members[ContentIndex.memberName] != nil else {
            throw FerryFormatError.input(path: options.input,
                                         reason: "has no index.json nor manifest.json: not an OCI archive, a docker-archive or a ferry bundle")
        }
        if !dockerOnly { VerificationMetadata.checkLayoutMembers(input, log: &log) }
        let contentIndex = VerificationMetadata.contentIndex(input, expectedDigest: options.expectedContentIndexDigest, log: &log)
        if let expected = options.expectedContentIndexDigest, input.members[ContentIndex.memberName] == nil {
            log.add(.contentIndexDigest, member: ContentIndex.memberName, expected: expected.description, scope: .all,
                    "the input has no \(ContentIndex.memberName), so it cannot be the bundle whose content index is \(expected)")
        }
        var indexEntries = dockerOnly ? nil : VerificationMetadata.indexEntries(input, log: &log)
        // An index.json without entries beside manifest.json: the images are on the docker side.
        let dockerSide = dockerOnly || (indexEntries?.isEmpty == true && input.kind == .dockerArchive)
        if dockerSide { indexEntries = nil }
        // Attachments listed in the content index (bundle 1.1) are walked like images: their
        // blobs must be present and hash right, and they are not unreferenced.
        let attachments = (contentIndex?.index?.attachments ?? []).map {
            VerificationGraph.Entry(descriptor: $0.descriptor, name: $0.name)
        }
        let entries = dockerSide
            ? try VerificationDockerManifest.roots(input, log: &log)
            : (indexEntries ?? contentIndex?.index.map(VerificationMetadata.entries(from:)) ?? []) + attachments
        let external = Dictionary((contentIndex?.index?.base?.blobs ?? []).map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        let graph = VerificationGraph(entries: entries, input: input, external: external,
                                      partialIndexes: input.members[ContentIndex.memberName] == nil, log: &log)
        // Closure of an incremental bundle: what it leaves to its bases must be in the bases given.
        if let bases = options.base {
            let recorded = contentIndex?.index?.base?.bundles.map(\.description).joined(separator: ", ") ?? "none"
            for (digest, descriptor) in graph.fromBase.sorted(by: { $0.key < $1.key }) where bases.known[digest] != descriptor.size {
                log.add(.missingBlob, member: digest.layoutPath, digest: digest, expected: "\(descriptor.size) bytes", scope: .blob(digest),
                        "\(digest.layoutPath) is left to the base bundles (\(recorded)), but the bases given (\(bases.digests.map(\.description).joined(separator: ", "))) do not carry it")
            }
        }
        if !dockerSide { VerificationDockerManifest.check(input, graph: graph, log: &log) }
        if let index = contentIndex?.index {
            VerificationContentIndex.check(index, input: input, graph: graph, indexEntries: indexEntries, log: &log)
        }
        // Unreferenced blobs break the one-pool rule (SPEC.md 7.7); they can only be told apart
        // from children of an unreadable manifest when every manifest was read.
        if input.kind == .ferryBundle && graph.complete {
            Self.checkBlobGroups(input, graph: graph, log: &log)
            for blob in input.blobs where !graph.isUsed(blob.digest) {
                log.add(.unreferencedBlob, member: blob.member.name, digest: blob.digest, offset: input.offset(of: blob.member),
                        length: blob.member.size, scope: .none, "\(blob.member.name) is in the bundle but no image references it")
            }
        }
        return Prepared(input: input, graph: graph, contentIndex: contentIndex, log: log, baseChecked: options.base != nil)
    }

    /// SPEC.md rule 1.2: indexes and manifests, then configs, then layers. Readers do not need
    /// the order, so a violation names the first member out of place and affects no image.
    static func checkBlobGroups(_ input: VerificationInput, graph: VerificationGraph, log: inout ProblemLog) {
        let configs = Set(graph.imageManifests.values.map(\.config.digest))
        func group(_ digest: Digest) -> Int? {
            guard let mediaType = graph.firstMediaType[digest] else { return nil }
            if mediaType.isManifest { return 0 }
            return configs.contains(digest) ? 1 : 2
        }
        let names = ["indexes and manifests", "configs", "layers"]
        var current = 0
        for blob in input.blobs {
            guard let found = group(blob.digest) else { continue }
            if found < current {
                log.add(.memberOrder, member: blob.member.name, digest: blob.digest, expected: names[current], actual: names[found],
                        offset: input.offset(of: blob.member), scope: .none,
                        "\(blob.member.name) is one of the \(names[found]) but comes after the \(names[current]) (SPEC.md rule 1.2: \(names.joined(separator: ", then ")))")
                return
            }
            current = found
        }
    }

    /// Blob members still to hash: all but the manifests hashed during the walk and the blobs
    /// whose size already disagrees with their descriptor (size is checked before digest).
    /// Later copies of a duplicated member are always hashed.
    static func hashJobs(_ prepared: Prepared) -> [VerificationHashing.Job] {
        let input = prepared.input
        var jobs: [VerificationHashing.Job] = []
        for (position, blob) in input.blobs.enumerated() {
            let walked = prepared.graph.map { $0.hashed[blob.digest] != nil || $0.unreadable.contains(blob.digest) } ?? false
            if walked || prepared.log.has([.sizeMismatch], for: blob.digest) { continue }
            jobs.append(.init(position: position, digest: blob.digest, member: blob.member))
        }
        for (position, blob) in input.shadowingBlobs.enumerated() {
            jobs.append(.init(position: input.blobs.count + position, digest: blob.digest, member: blob.member))
        }
        return jobs
    }

    /// Records a hashing outcome; true when the blob's bytes were all read and compared.
    static func record(_ result: VerificationHashing.Result, input: VerificationInput, log: inout ProblemLog) -> Bool {
        let job = result.job
        let member = job.member
        let offset = input.offset(of: member)
        let range = offset.map { " (bytes \($0)..<\($0 + member.size))" } ?? ""
        let copy = job.position >= input.blobs.count ? "the later copy of " : ""
        switch result.outcome {
        case .verified:
            return true
        case .mismatch(let actual):
            log.add(.digestMismatch, member: member.name, digest: job.digest, expected: job.digest.description, actual: actual.description,
                    offset: offset, length: member.size, scope: .blob(job.digest),
                    "\(copy)\(member.name) is damaged: expected \(job.digest), content hashes to \(actual)\(range)")
            return true
        case .short(let received):
            log.add(.readError, member: member.name, digest: job.digest, expected: "\(member.size)", actual: "\(received)",
                    offset: offset, length: member.size, scope: .blob(job.digest),
                    "\(copy)\(member.name) ended after \(received) of \(member.size) bytes while being read")
            return false
        case .unreadable(let reason):
            log.add(.readError, member: member.name, digest: job.digest, offset: offset, length: member.size, scope: .blob(job.digest),
                    "\(copy)\(member.name) cannot be read: \(reason)")
            return false
        }
    }

    /// Resolves each problem's scope to image names and derives each image's status.
    static func report(_ prepared: Prepared, log: ProblemLog, blobsChecked: Int, bytesChecked: Int64) -> VerificationReport {
        let entries = prepared.graph?.entries ?? []
        var allNames: [String] = []
        var named = Set<String>()
        for entry in entries where named.insert(entry.name).inserted { allNames.append(entry.name) }
        var status: [String: VerificationReport.ImageStatus] = [:]
        let problems = log.entries.map { entry -> VerificationProblem in
            var problem = entry.problem
            switch entry.scope {
            case .none: problem.affectedImages = []
            case .blob(let digest): problem.affectedImages = prepared.graph?.images(using: digest) ?? []
            case .images(let names): problem.affectedImages = names
            case .all: problem.affectedImages = allNames
            }
            let absent = ProblemLog.absenceKinds.contains(problem.kind)
            for name in problem.affectedImages where status[name] != .damaged {
                status[name] = absent ? .incomplete : .damaged
            }
            return problem
        }
        let images = entries.map {
            VerificationReport.Image(name: $0.name, digest: $0.descriptor.digest.description, status: status[$0.name] ?? .ok)
        }
        let omitted = (prepared.graph?.omitted ?? [:]).values.sorted { $0.digest < $1.digest }.map { descriptor in
            VerificationReport.OmittedBlob(digest: descriptor.digest.description, mediaType: descriptor.mediaType.rawValue,
                                           urls: descriptor.urls ?? [], platform: descriptor.platform?.description,
                                           affectedImages: prepared.graph?.images(using: descriptor.digest) ?? [])
        }
        var report = VerificationReport(input: prepared.input.path, kind: prepared.input.kind, blobsChecked: blobsChecked,
                                        bytesChecked: bytesChecked, images: images, problems: problems, omitted: omitted,
                                        contentIndexDigest: prepared.contentIndex?.digest.description, ok: problems.isEmpty)
        if let base = prepared.contentIndex?.index?.base {
            report.baseBundles = base.bundles.map(\.description)
            report.fromBase = (prepared.graph?.fromBase ?? [:]).values.sorted { $0.digest < $1.digest }.map { descriptor in
                VerificationReport.OmittedBlob(digest: descriptor.digest.description, mediaType: descriptor.mediaType.rawValue,
                                               urls: [], affectedImages: prepared.graph?.images(using: descriptor.digest) ?? [])
            }
            report.baseChecked = prepared.baseChecked
        }
        return report
    }
}
