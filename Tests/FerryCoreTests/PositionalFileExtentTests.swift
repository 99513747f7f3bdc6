import FerryCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 19): `ferry serve` hands cached bundle ranges to `sendfile`, so a range must map
/// to the right runs of the right parts, and the page-cache answer must be honest.
@Suite struct PositionalFileExtentTests {
    /// Three parts of 10, 10 and 5 bytes: the logical file is "0123456789abcdefghijKLMNO".
    static func parts() throws -> (dir: String, file: PositionalFile) {
        let dir = NSTemporaryDirectory() + "ferry-extents-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let contents = ["0123456789", "abcdefghij", "KLMNO"]
        var parts: [(path: String, length: Int64)] = []
        for (number, text) in contents.enumerated() {
            let path = "\(dir)/b.tar.part-00\(number)"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            parts.append((path, Int64(text.utf8.count)))
        }
        return (dir, try PositionalFile(parts: parts, flags: O_RDONLY))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let offset: Int64
        let length: Int64
        /// (part number, offset in the part, length) of each run.
        let runs: [[Int64]]
        var testDescription: String { "[\(offset), +\(length))" }
    }

    @Test(arguments: [
        Case(offset: 0, length: 10, runs: [[0, 0, 10]]),
        Case(offset: 3, length: 4, runs: [[0, 3, 4]]),
        Case(offset: 8, length: 4, runs: [[0, 8, 2], [1, 0, 2]]),
        Case(offset: 5, length: 18, runs: [[0, 5, 5], [1, 0, 10], [2, 0, 3]]),
        Case(offset: 20, length: 5, runs: [[2, 0, 5]]),
        // Past the planned end: the runs stop there, short of the length asked.
        Case(offset: 22, length: 10, runs: [[2, 2, 3]]),
        Case(offset: 25, length: 1, runs: []),
    ])
    func rangesMapToRunsOfParts(_ test: Case) throws {
        let (dir, file) = try Self.parts()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runs = file.extents(from: test.offset, length: test.length)
        #expect(runs.map { [Int64(file.partPaths.firstIndex(of: $0.path) ?? -1), $0.offset, $0.length] } == test.runs)
        // Each run's descriptor reads the bytes the logical file has there.
        var joined: [UInt8] = []
        for run in runs {
            var bytes = [UInt8](repeating: 0, count: Int(run.length))
            let read = bytes.withUnsafeMutableBytes { pread(run.descriptor, $0.baseAddress, Int(run.length), off_t(run.offset)) }
            #expect(read == Int(run.length))
            joined += bytes
        }
        #expect(joined == (try file.read(count: Int(test.length), at: test.offset)))
    }

    @Test func cachedOnlyWhenEveryPageIsInMemoryAndInsideTheFile() throws {
        let dir = NSTemporaryDirectory() + "ferry-cached-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/b.tar"
        let size = 1 << 20
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        let file = try PositionalFile(path: path, flags: O_RDONLY)
        _ = try file.read(count: size, at: 0)
        #expect(file.isCached(from: 0, length: Int64(size)))
        #expect(file.isCached(from: 4097, length: 10000))
        // Bytes past the end of the file are never in memory.
        #expect(!file.isCached(from: Int64(size) - 10, length: 4096 * 3))

        // Written back and dropped from the page cache, the pages are reported missing (a file
        // system that keeps every page in memory, tmpfs, cannot drop them: not asked there).
        guard try Self.fileSystemType(of: path) != "tmpfs" else { return }
        try file.sync()
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        #expect(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0)
        close(descriptor)
        #expect(!file.isCached(from: 0, length: Int64(size)))
        _ = try file.read(count: 4096, at: 0)
        #expect(file.isCached(from: 0, length: 4096))
    }

    /// `stat -f -c %T PATH`: the file system's type name (Glibc's module has no `statfs`).
    static func fileSystemType(of path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stat")
        process.arguments = ["-f", "-c", "%T", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
