import FerryArchive
import FerryCore
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

/// Rule (issue 5): export brings what is attached to each image — cosign-style tags and OCI 1.1
/// referrers (here through the `sha256-<hex>` fallback tag, since distribution 2.8 has no
/// referrers API) — linked to their subject, and import pushes them back byte for byte;
/// `--no-referrers` leaves them out.
@Suite(.serialized) struct ReferrersTests {
    struct Attached {
        let signatureTag: String
        let signatureDigest: Digest
        let fallbackTag: String
        let fallbackDigest: Digest
        let referrerDigest: Digest
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Attaches a signature-like artifact (cosign tag schema) and an SBOM-like referrer (with
    /// `subject`, listed in the fallback tag index) to `repository:tag`.
    static func attach(_ registry: TestRegistry, repository: String, tag: String, fallbackTag: Bool = true) async throws -> Attached {
        let client = ExportFixtures.client(registry)
        let subject = try await client.fetchManifest(try ImageReference(parsing: "\(registry.host)/\(repository):\(tag)"))
        let host = registry.host
        func upload(_ bytes: [UInt8], _ mediaType: MediaType) async throws -> Descriptor {
            let descriptor = Descriptor(mediaType: mediaType, digest: DigestHasher.digest(of: bytes), size: Int64(bytes.count))
            try await client.uploadBlob(registry: host, repository: repository, descriptor: descriptor, body: { .bytes(bytes) })
            return descriptor
        }
        func put(_ bytes: [UInt8], _ mediaType: MediaType, as reference: String? = nil) async throws -> Digest {
            let digest = DigestHasher.digest(of: bytes)
            try await client.putManifest(registry: host, repository: repository, reference: reference ?? digest.description,
                                         bytes: bytes, mediaType: mediaType, digest: digest)
            return digest
        }
        let tagBase = "sha256-\(subject.digest.hex)"

        // cosign-like: an image config and one "simple signing" payload layer, by tag.
        let payload = Array(#"{"critical":{"image":{"docker-manifest-digest":"\#(subject.digest)"},"type":"cosign container image signature"}}"#.utf8)
        let signatureConfig = try await upload(Array(#"{"architecture":"","config":{},"os":"","rootfs":{"diff_ids":[],"type":"layers"}}"#.utf8), .ociConfig)
        var signatureLayer = try await upload(payload, "application/vnd.dev.cosign.simplesigning.v1+json")
        signatureLayer.annotations = ["dev.cosignproject.cosign/signature": "MEUCIQDtestsignature=="]
        let signature = ImageManifest(mediaType: .ociManifest, config: signatureConfig, layers: [signatureLayer])
        let signatureBytes = try encode(signature)
        let signatureDigest = try await put(signatureBytes, .ociManifest, as: tagBase + ".sig")

        // An SBOM referrer: empty config, SPDX layer, subject; plus the fallback tag index.
        let empty = try await upload(Array("{}".utf8), "application/vnd.oci.empty.v1+json")
        let sbom = try await upload(Array(#"{"spdxVersion":"SPDX-2.3","name":"\#(repository)","packages":[]}"#.utf8), "application/spdx+json")
        struct Referrer: Encodable {
            var schemaVersion = 2
            var mediaType = MediaType.ociManifest
            var artifactType = "application/spdx+json"
            var config: Descriptor
            var layers: [Descriptor]
            var subject: Descriptor
        }
        let referrerBytes = try encode(Referrer(config: empty, layers: [sbom], subject: subject.descriptor))
        let referrerDigest = try await put(referrerBytes, .ociManifest)
        struct Listed: Encodable {
            var mediaType = MediaType.ociManifest
            var digest: Digest
            var size: Int
            var artifactType = "application/spdx+json"
        }
        struct Fallback: Encodable {
            var schemaVersion = 2
            var mediaType = MediaType.ociIndex
            var manifests: [Listed]
        }
        let fallbackBytes = try encode(Fallback(manifests: [Listed(digest: referrerDigest, size: referrerBytes.count)]))
        let fallbackDigest = fallbackTag ? try await put(fallbackBytes, .ociIndex, as: tagBase) : DigestHasher.digest(of: fallbackBytes)
        return Attached(signatureTag: tagBase + ".sig", signatureDigest: signatureDigest, fallbackTag: tagBase,
                        fallbackDigest: fallbackDigest, referrerDigest: referrerDigest)
    }

    @Test func attachedArtifactsCrossWithTheirImages() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let corpus = try await source.push(seed: 81)
        let web = try #require(corpus.image("apps/web:1.0"))
        let multi = try #require(corpus.image("apps/multi:2.0"))
        let onWeb = try await Self.attach(source, repository: "apps/web", tag: "1.0")
        let onMulti = try await Self.attach(source, repository: "apps/multi", tag: "2.0")
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let report = try await ExportFixtures.export([web.reference, multi.reference], from: ExportFixtures.client(), to: .bundle(dir + "/with.tar"))
        let attached = report.images.filter { $0.subject != nil }
        #expect(attached.count == 4, "\(report.images.map(\.reference))")
        #expect(attached.contains { $0.reference.hasSuffix(onWeb.signatureTag) && $0.subject == web.digest && $0.digest == onWeb.signatureDigest.description })
        #expect(attached.contains { $0.reference.hasSuffix(":" + onMulti.fallbackTag) && $0.subject == multi.digest && $0.digest == onMulti.fallbackDigest.description })
        let bundle = try BundleInspection(path: dir + "/with.tar")
        #expect(bundle.blobDigests.contains(onWeb.referrerDigest.description))
        // Bundle 1.1 (SPEC.md §13): attachments are listed in the content index, linked to their
        // subject, and index.json holds the images alone, so plain loaders see nothing else.
        let subjects = (bundle.contentIndex.attachments ?? []).map(\.subject.description)
        #expect(Set(subjects) == [web.digest, multi.digest])
        #expect(bundle.index.manifests.count == 2 && bundle.index.manifests.allSatisfy { $0.annotations?[AnnotationKey.subject] == nil })
        #expect(bundle.contentIndex.images.count == 2)
        // The docker side holds container images only: no signature element.
        #expect(bundle.dockerManifest.allSatisfy { !$0.RepoTags.contains { $0.contains("sha256-") } })
        let verified = try await BundleVerifier().run(VerifyOptions(input: dir + "/with.tar"))
        #expect(verified.ok, "\(verified.problems.map(\.message))")

        _ = try await Importer(client: ExportFixtures.client(target))
            .run(ImportOptions(input: dir + "/with.tar", destination: try DestinationMapper(to: target.host)))
        let client = ExportFixtures.client(target)
        for (repository, attachment) in [("apps/web", onWeb), ("apps/multi", onMulti)] {
            let signature = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attachment.signatureTag)"))
            #expect(signature.digest == attachment.signatureDigest)
            let fallback = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository):\(attachment.fallbackTag)"))
            #expect(fallback.digest == attachment.fallbackDigest)
            let referrer = try await client.fetchManifest(try ImageReference(parsing: "\(target.host)/\(repository)@\(attachment.referrerDigest)"))
            #expect(referrer.digest == attachment.referrerDigest)
        }

        var options = ExportOptions(references: [try ImageReference(parsing: web.reference)], output: .bundle(dir + "/without.tar"),
                                    platforms: [], jobs: 4)
        options.referrers = false
        let without = try await Exporter(source: RegistrySource(client: ExportFixtures.client())).run(options)
        #expect(without.images.count == 1)
        #expect(!(try BundleInspection(path: dir + "/without.tar").blobDigests.contains(onWeb.referrerDigest.description)))
    }

    /// A registry with the referrers API (simulated over a real registry: the answer the API
    /// would give): referrers are exported by digest, linked to their subject, and pushed back.
    struct ReferrersAPISource: ImageSource {
        let inner: RegistrySource
        let answers: [Digest: [Descriptor]]
        func manifest(_ reference: ImageReference) async throws -> FetchedManifest { try await inner.manifest(reference) }
        func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws {
            try await inner.blob(reference, descriptor: descriptor, into: target)
        }
        func tags(of reference: ImageReference) async throws -> [String] { try await inner.tags(of: reference) }
        func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? { answers[digest] ?? [] }
    }

    /// Pushes a corpus to `source`, attaches a signature and an SBOM referrer to apps/web:1.0
    /// (the referrer with no fallback tag: only the simulated referrers API lists it), and
    /// exports apps/web:1.0 through that API into `bundle`.
    static func exportWithAPIReferrer(_ source: TestRegistry, seed: UInt64, into bundle: String) async throws
        -> (web: PushedImage, attached: Attached, referrer: FetchedManifest, report: ExportReport) {
        let corpus = try await source.push(seed: seed)
        let web = try #require(corpus.image("apps/web:1.0"))
        let attached = try await attach(source, repository: "apps/web", tag: "1.0", fallbackTag: false)
        let referrer = try await ExportFixtures.client(source).fetchManifest(try ImageReference(parsing: "\(source.host)/apps/web@\(attached.referrerDigest)"))
        let apiSource = ReferrersAPISource(inner: RegistrySource(client: ExportFixtures.client()),
                                           answers: [try Digest(parsing: web.digest): [referrer.descriptor]])
        let report = try await ExportFixtures.export([web.reference], from: ExportFixtures.client(), to: .bundle(bundle), source: apiSource)
        return (web, attached, referrer, report)
    }

    @Test func referrersFromTheAPIAreExportedByDigest() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (web, attached, referrer, report) = try await Self.exportWithAPIReferrer(source, seed: 82, into: dir + "/api.tar")
        let byDigest = report.images.first { $0.reference.hasSuffix("@\(attached.referrerDigest)") }
        #expect(byDigest?.subject == web.digest, "\(report.images.map(\.reference))")
        // The cosign tag is still found by tag listing; the fallback tag is not used when the API answers.
        #expect(report.images.contains { $0.reference.hasSuffix(attached.signatureTag) })
        #expect(!report.images.contains { $0.reference.hasSuffix(":" + attached.fallbackTag) })
        _ = try await Importer(client: ExportFixtures.client(target))
            .run(ImportOptions(input: dir + "/api.tar", destination: try DestinationMapper(to: target.host)))
        let pushed = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/apps/web@\(attached.referrerDigest)"))
        #expect(pushed.bytes == referrer.bytes)
        // The target has no referrers API either: import keeps the fallback tag index for it.
        let fallback = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/apps/web:\(attached.fallbackTag)"))
        guard case .index(let index) = try fallback.parse() else { Issue.record("the fallback tag is not an index"); return }
        #expect(index.manifests.map(\.digest) == [attached.referrerDigest])
        #expect(index.manifests.first?.artifactType == "application/spdx+json")
        // A second import changes nothing.
        let again = try await Importer(client: ExportFixtures.client(target))
            .run(ImportOptions(input: dir + "/api.tar", destination: try DestinationMapper(to: target.host)))
        #expect(again.manifestsPushed == 0 && again.tagsPushed == 0)
        let unchanged = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/apps/web:\(attached.fallbackTag)"))
        #expect(unchanged.digest == fallback.digest)
    }

    /// Rule (issue 19): `ferry serve` answers the referrers API from a bundle's attachments with
    /// exactly the list `ferry import` writes into the registry's fallback tag, filters it by
    /// `artifactType`, answers an empty index for a digest nothing refers to, and serves the
    /// referrer itself by digest.
    @Test func servedReferrersMatchWhatImportLists() async throws {
        let source = try await TestRegistry.start()
        defer { source.stop() }
        let target = try await TestRegistry.start()
        defer { target.stop() }
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (web, attached, _, _) = try await Self.exportWithAPIReferrer(source, seed: 83, into: dir + "/api.tar")
        _ = try await Importer(client: ExportFixtures.client(target))
            .run(ImportOptions(input: dir + "/api.tar", destination: try DestinationMapper(to: target.host)))
        let subject = try Digest(parsing: web.digest)
        let fallback = try await ExportFixtures.client(target).fetchManifest(try ImageReference(parsing: "\(target.host)/apps/web:sha256-\(subject.hex)"))
        guard case .index(let listed) = try fallback.parse() else {
            Issue.record("the fallback tag is not an index")
            return
        }
        #expect(listed.manifests.map(\.digest) == [attached.referrerDigest])

        let server = try FerryServer.start([dir + "/api.tar"], in: dir)
        defer { server.stop() }
        let all = try server.get("/v2/apps/web/referrers/\(web.digest)")
        #expect(all.status == 200)
        #expect(try JSONDecoder().decode(ImageIndex.self, from: all.body).manifests == listed.manifests)
        let spdx = try server.get("/v2/apps/web/referrers/\(web.digest)?artifactType=application/spdx%2Bjson")
        #expect(try JSONDecoder().decode(ImageIndex.self, from: spdx.body).manifests == listed.manifests)
        let other = try server.get("/v2/apps/web/referrers/\(web.digest)?artifactType=application/vnd.example")
        #expect(try JSONDecoder().decode(ImageIndex.self, from: other.body).manifests.isEmpty)
        let nothing = try server.get("/v2/apps/web/referrers/\(attached.referrerDigest)")
        #expect(nothing.status == 200)
        #expect(try JSONDecoder().decode(ImageIndex.self, from: nothing.body).manifests.isEmpty)
        let bytes = try server.get("/v2/apps/web/manifests/\(attached.referrerDigest)")
        #expect(DigestHasher.digest(of: Array(bytes.body)) == attached.referrerDigest)
        // A client copies the artifacts themselves, digests unchanged: the SBOM by digest and
        // the cosign signature by its tag.
        for (reference, digest) in [("apps/web@\(attached.referrerDigest)", attached.referrerDigest),
                                    ("apps/web:\(attached.signatureTag)", attached.signatureDigest)] {
            let copy = dir + "/copy-\(digest.hex.prefix(8))"
            _ = try Tool.run("/usr/bin/skopeo", ["copy", "--preserve-digests", "--src-tls-verify=false", "docker://\(server.address)/\(reference)", "dir:\(copy)"])
            let manifest = try Data(contentsOf: URL(fileURLWithPath: copy + "/manifest.json"))
            #expect(DigestHasher.digest(of: Array(manifest)) == digest, "\(reference)")
        }
    }
}
