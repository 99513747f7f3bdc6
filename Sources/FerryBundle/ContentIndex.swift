public import FerryCore
import Foundation

/// ferry's content index, the `ferry-index.json` member of a bundle (v1).
///
/// Spec: `formats/ferry-bundle/SPEC.md`. It pins every blob by digest and records where each
/// blob's bytes lie in the tar, so a reader can seek straight to them and a verifier can
/// prove completeness. Readers ignore unknown fields and refuse a higher `schemaVersion`.
public struct ContentIndex: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.ferry.bundle.index.v1+json"
    public static let memberName = "ferry-index.json"

    public struct Tool: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
    }

    public struct Image: Codable, Sendable, Equatable {
        public var source: String
        public var name: String
        public var digest: Digest
        public var mediaType: MediaType
        public var size: Int64
        public var platforms: [String]
        public var sourceDigest: Digest?
    }

    public struct Blob: Codable, Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        public var mediaType: MediaType
        /// Byte offset of the member's data in the tar.
        public var offset: Int64
    }

    /// How a split bundle (`--split-size`) is cut: the planned size of every part, in order
    /// (SPEC.md §8). Absent in an unsplit bundle.
    public struct Parts: Codable, Sendable, Equatable {
        public var maxPartSize: Int64
        public var sizes: [Int64]
    }

    public var schemaVersion: Int
    public var mediaType: String
    public var tool: Tool
    public var created: String
    public var images: [Image]
    public var blobs: [Blob]
    public var parts: Parts? = nil
    public var base: Base? = nil

    /// An incremental bundle (`--since`, SPEC.md §12): the earlier bundles it builds on, and
    /// the blobs its images need that it does not carry because those bundles did.
    public struct Base: Codable, Sendable, Equatable {
        /// Content index digests of the base bundles.
        public var bundles: [Digest]
        /// Blobs left out because a base bundle carried them, in plan order.
        public var blobs: [BaseBlob]
    }

    public struct BaseBlob: Codable, Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
        public var mediaType: MediaType
    }

    /// Every blob a site that imported this bundle holds: the ones it carries and the ones it
    /// relied on its bases for (what a later `--since` of this bundle may leave out).
    public var knownBlobs: [Digest: Int64] {
        var known = Dictionary(blobs.map { ($0.digest, $0.size) }, uniquingKeysWith: { a, _ in a })
        for blob in base?.blobs ?? [] where known[blob.digest] == nil { known[blob.digest] = blob.size }
        return known
    }

    /// Canonical encoding: sorted keys, no escaped slashes, so equal indexes give equal bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Decodes and checks the schema version.
    public static func decode(_ bytes: [UInt8]) throws -> ContentIndex {
        let index = try JSONDecoder().decode(ContentIndex.self, from: Data(bytes))
        guard index.schemaVersion == 1 else {
            throw FerryBundleError.output(path: memberName, reason: "schemaVersion \(index.schemaVersion) is newer than this ferry understands (1)")
        }
        return index
    }
}

/// The version ferry reports in bundles and `--version`.
public enum FerryVersion {
    public static let current = "0.1.0"
}
