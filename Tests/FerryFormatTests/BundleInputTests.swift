import FerryArchive
import FerryCore
import FerryFormat
import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 16): `BundleInput.open` is the one way in for every command that reads a
/// bundle; it opens a tar in place, a split bundle's parts as one file (from any part, the part
/// index or the joined name), and a compressed tar through one decompressed copy; what it cannot
/// open is an input error naming the path.
@Suite struct BundleInputTests {
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-input-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The example bundle cut into the example's parts, in `dir`.
    static func splitExample(into dir: String) throws {
        let bundle = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        let indexBytes = try Fixtures.bytes("ferry-bundle/examples/split/bundle.tar.parts.json")
        let index = try PartIndex.decode(indexBytes, path: "bundle.tar.parts.json")
        for part in index.parts {
            try Data(bundle[Int(part.offset)..<Int(part.offset + part.size)]).write(to: URL(fileURLWithPath: "\(dir)/\(part.name)"))
        }
        try Data(indexBytes).write(to: URL(fileURLWithPath: dir + "/bundle.tar.parts.json"))
    }

    enum Shape: String, CaseIterable, Sendable { case tar, partByFirstPart, partByIndex, partByJoinedName, gzip, zstd }

    @Test(arguments: Shape.allCases)
    func opensEveryShapeOnce(_ shape: Shape) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        let path: String
        switch shape {
        case .tar:
            path = dir + "/bundle.tar"
            try Data(plain).write(to: URL(fileURLWithPath: path))
        case .partByFirstPart, .partByIndex, .partByJoinedName:
            try Self.splitExample(into: dir)
            path = dir + (shape == .partByFirstPart ? "/bundle.tar.part-000" : shape == .partByIndex ? "/bundle.tar.parts.json" : "/bundle.tar")
        case .gzip, .zstd:
            path = dir + "/bundle.tar." + shape.rawValue
            try Data(try StreamCompressor.compress(plain, kind: shape == .gzip ? .gzip : .zstd, level: nil)).write(to: URL(fileURLWithPath: path))
        }
        let input = try BundleInput.open(path, scratch: dir + "/scratch")
        #expect(input.path == path)
        #expect(input.decompressed == (shape == .gzip || shape == .zstd))
        #expect((input.parts != nil) == shape.rawValue.hasPrefix("part"))
        if input.parts != nil {
            #expect(input.displayName == dir + "/bundle.tar")
            #expect(input.files.signature == dir + "/bundle.tar.sig")
        }
        let store = try input.store()
        #expect(store.location == input.displayName)
        #expect(try store.indexJSON() == Fixtures.bytes("ferry-bundle/examples/index.json"))
    }

    @Test func missingInputIsNamed() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try BundleInput.open(dir + "/absent.tar", scratch: dir + "/scratch")
            Issue.record("an absent input was opened")
        } catch FerryFormatError.input(let path, let reason) {
            #expect(path == dir + "/absent.tar")
            #expect(reason.contains("cannot open"), "\(reason)")
        }
    }
}
