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

    public var schemaVersion: Int
    public var mediaType: String
    public var tool: Tool
    public var created: String
    public var images: [Image]
    public var blobs: [Blob]

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
