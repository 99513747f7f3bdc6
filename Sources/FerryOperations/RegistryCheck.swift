public import FerryCore
import FerryFormat
public import FerryRegistry
import FerryTransfer

/// What `ferry verify BUNDLE --registry …` found: for every image of the bundle, after import's
/// naming, whether the target holds it with the same digest, and what is missing if not.
public struct RegistryCheckReport: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var source: String
        public var destination: String
        public var digest: String
        public var ok: Bool
        /// What is missing or different, one line each (empty when `ok`).
        public var problems: [String]
        /// With `--plan`: the shard whose bundle carries the image.
        public var shard: Int? = nil
    }

    public var input: String
    public var images: [Image]
    /// index.json entries without a usable name (not checked).
    public var unnamed: [String]
    public var manifestsChecked: Int
    public var blobsChecked: Int
    public var tagsChecked: Int
    public var ok: Bool
}

/// Checks a registry against a bundle after an import (issue 17, item 3): the images the import
/// would push, named by the same options, are each asked for by digest (every manifest, child
/// manifests and indexes included), every config and layer by HEAD, and every tag by fetching
/// the manifest it names and hashing it, so a tag is judged by the bytes, not by a header. Each
/// distinct question is asked once, `jobs` at a time, with pull rights only.
public struct RegistryChecker: Sendable {
    public let client: RegistryClient
    public let progress: ProgressHandler

    public init(client: RegistryClient, progress: @escaping ProgressHandler = { _ in }) {
        self.client = client
        self.progress = progress
    }

    /// One thing to ask the registry.
    enum Question: Hashable, Sendable {
        case manifest(registry: String, repository: String, digest: Digest)
        case blob(registry: String, repository: String, digest: Digest)
        case tag(registry: String, repository: String, tag: String)
    }

    /// The registry's answer: there, not there, or (a tag) there with another digest.
    enum Answer: Sendable, Equatable {
        case present
        case absent
        case other(Digest)
    }

    public func run(_ options: ImportOptions, opened: ImportInput? = nil) async throws -> RegistryCheckReport {
        let input: ImportInput
        if let opened { input = opened } else { input = try await ImportInput.open(options.input) }
        let (images, unnamed, _, notes) = try await Blocking.run { try ImportPlanner.plan(store: input.store, options: options, scratch: input.scratch) }
        for note in notes { progress(.warning(note)) }
        let expected = images.map { image in
            ExpectedImage(source: image.source.description, destination: image.destination, entry: image.entry.digest,
                          manifests: image.manifests.map(\.descriptor), blobs: image.blobs)
        }
        return try await check(expected, input: options.input, unnamed: unnamed, jobs: options.jobs)
    }

    /// One image the target must hold: named as import names it, with every manifest and blob.
    struct ExpectedImage: Sendable {
        var source: String
        var destination: ImageReference
        var entry: Digest
        var manifests: [Descriptor]
        var blobs: [Descriptor]
        var shard: Int? = nil
    }

    /// Asks the target for `images`, each distinct question once, `jobs` at a time.
    func check(_ images: [ExpectedImage], input: String, unnamed: [String], jobs: Int) async throws -> RegistryCheckReport {
        progress(.imagesPlanned(images.count))
        var questions: [Question] = []
        var asked = Set<Question>()
        func ask(_ question: Question) { if asked.insert(question).inserted { questions.append(question) } }
        for image in images {
            let (registry, repository) = (image.destination.registry, image.destination.repository)
            for manifest in image.manifests { ask(.manifest(registry: registry, repository: repository, digest: manifest.digest)) }
            for blob in image.blobs { ask(.blob(registry: registry, repository: repository, digest: blob.digest)) }
            if let tag = image.destination.tag { ask(.tag(registry: registry, repository: repository, tag: tag)) }
        }
        var answers: [Question: Answer] = [:]
        let client = self.client
        try await TaskWindow.run(questions, width: jobs, { question in (question, try await Self.answer(question, client: client)) },
                                 collect: { answers[$0.0] = $0.1 })
        var checked: [RegistryCheckReport.Image] = []
        for image in images {
            let problems = Self.problems(of: image, answers: answers)
            if problems.isEmpty { progress(.imageCompleted(image: image.destination.description)) }
            checked.append(.init(source: image.source, destination: image.destination.description,
                                 digest: image.entry.description, ok: problems.isEmpty, problems: problems, shard: image.shard))
        }
        progress(.finished)
        func count(_ kind: (Question) -> Bool) -> Int { questions.filter(kind).count }
        return RegistryCheckReport(
            input: input, images: checked, unnamed: unnamed,
            manifestsChecked: count { if case .manifest = $0 { true } else { false } },
            blobsChecked: count { if case .blob = $0 { true } else { false } },
            tagsChecked: count { if case .tag = $0 { true } else { false } },
            ok: checked.allSatisfy(\.ok))
    }

    static func answer(_ question: Question, client: RegistryClient) async throws -> Answer {
        switch question {
        case .manifest(let registry, let repository, let digest):
            return try await client.manifestDigest(registry: registry, repository: repository, reference: digest.description, forPush: false) == nil
                ? .absent : .present
        case .blob(let registry, let repository, let digest):
            return try await client.blobExists(registry: registry, repository: repository, digest: digest, forPush: false) ? .present : .absent
        case .tag(let registry, let repository, let tag):
            do {
                let fetched = try await client.fetchManifest(ImageReference(registry: registry, repository: repository, tag: tag, digest: nil))
                return .other(fetched.digest)
            } catch RegistryError.manifestNotFound {
                return .absent
            }
        }
    }

    /// What `image` lacks in the target, named.
    static func problems(of image: ExpectedImage, answers: [Question: Answer]) -> [String] {
        let (registry, repository) = (image.destination.registry, image.destination.repository)
        var problems: [String] = []
        for manifest in image.manifests
        where answers[.manifest(registry: registry, repository: repository, digest: manifest.digest)] == .absent {
            problems.append("manifest \(manifest.digest) (\(manifest.mediaType)) is missing")
        }
        var seen = Set<Digest>()
        for blob in image.blobs where seen.insert(blob.digest).inserted
            && answers[.blob(registry: registry, repository: repository, digest: blob.digest)] == .absent {
            problems.append("blob \(blob.digest) (\(blob.size) bytes) is missing")
        }
        if let tag = image.destination.tag {
            switch answers[.tag(registry: registry, repository: repository, tag: tag)] {
            case .absent?: problems.append("tag \(tag) is missing")
            case .other(let digest)? where digest != image.entry:
                problems.append("tag \(tag) points at \(digest), not \(image.entry)")
            default: break
            }
        }
        return problems
    }
}
