import FerryCore
import Foundation
import Testing

/// Rule: a blob file appears under its final name only when its bytes verified.
@Suite struct VerifiedFileWriterTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "ferry-vfw-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func commitsVerifiedBytes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = Array("layer bytes".utf8)
        let descriptor = Descriptor(mediaType: .ociLayer, digest: DigestHasher.digest(of: data), size: Int64(data.count))
        let writer = try VerifiedFileWriter(descriptor: descriptor, finalPath: "\(dir)/blob")
        try data.withUnsafeBytes { try writer.write($0) }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/blob"))
        try writer.commit()
        #expect(FileManager.default.contents(atPath: "\(dir)/blob") == Data(data))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["blob"])
    }

    @Test func leavesNothingOnMismatch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = Array("layer bytes".utf8)
        let descriptor = Descriptor(mediaType: .ociLayer, digest: DigestHasher.digest(of: Array("other".utf8)), size: Int64(data.count))
        do {
            let writer = try VerifiedFileWriter(descriptor: descriptor, finalPath: "\(dir)/blob")
            try data.withUnsafeBytes { try writer.write($0) }
            #expect(throws: FerryCoreError.self) { try writer.commit() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
