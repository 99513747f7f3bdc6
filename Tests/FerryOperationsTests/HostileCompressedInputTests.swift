import FerryArchive
import FerryCore
import FerryFormat
import FerryHTTP
import FerryOperations
import FerryRegistry
import FerryTestSupport
import FerryVerify
import Foundation
import Testing

/// Rule (issue 7, README "Import"): compressed inputs to `ferry import` and `ferry verify` are
/// decompressed once into a scratch copy whose size is capped (100× the input, 64 GiB floor);
/// a bomb fails with a clear error and leaves at most the cap on disk; a concatenated-member gzip
/// bundle is the bundle; a cut or hostile stream is an input error before any network traffic.
/// Import opens inputs with `BundleInput.open` and verify with `VerifyOptions.decompressionLimit`
/// passed to it, so both are tested with a small injected limit.
@Suite struct HostileCompressedInputTests {
    /// Small enough to test, with the standard 100× ratio.
    static let smallLimit = DecompressionLimit(ratio: 100, floor: 1 << 20)

    static var exampleBundle: [UInt8] {
        get throws { try Fixtures.bytes("ferry-bundle/examples/bundle.tar") }
    }

    static func compress(_ bytes: [UInt8], _ kind: StreamCompressor.Kind, level: Int? = nil) throws -> [UInt8] {
        try StreamCompressor.compress(bytes, kind: kind, level: level)
    }

    /// A zstd frame of `blocks` RLE blocks of 128 KiB (4 bytes each; RFC 8878 §3.1.1.2).
    static func zstdBomb(blocks: Int) -> [UInt8] {
        var frame: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd, 0x00, UInt8((17 - 10) << 3)]
        for index in 0..<blocks {
            let header = ((128 << 10) << 3) | (1 << 1) | (index == blocks - 1 ? 1 : 0)
            frame += [UInt8(header & 0xff), UInt8((header >> 8) & 0xff), UInt8((header >> 16) & 0xff), 0x41]
        }
        return frame
    }

    /// Rule: a gzip or zstd bomb fails with an error naming the input and the limit, and the
    /// scratch copy never grows past the limit. Import and verify both open inputs through
    /// `BundleInput.open`; verify passes it `VerifyOptions.decompressionLimit`, checked too.
    @Test(arguments: ["gzip", "zstd"])
    func bombIsCutAtTheLimit(_ kind: String) async throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Starts like a real bundle, then goes on with zeros: a plausible tar that never ends.
        let plain = try Self.exampleBundle
        let bomb = kind == "gzip"
            ? try Self.compress(plain + [UInt8](repeating: 0, count: 48 << 20), .gzip, level: 9)
            : try Self.compress(plain, .zstd) + Self.zstdBomb(blocks: 1024)
        let path = dir + "/bomb.tar.\(kind)"
        try Data(bomb).write(to: URL(fileURLWithPath: path))
        let limit = Self.smallLimit.bytes(forCompressedSize: Int64(bomb.count))
        #expect(limit < 8 << 20, "the bomb (\(bomb.count) bytes) must be small for the test to mean anything")

        let scratch = dir + "/scratch"
        do {
            _ = try BundleInput.open(path, scratch: scratch, limit: Self.smallLimit)
            Issue.record("a \(kind) bomb was accepted")
        } catch let error as FerryFormatError {
            let message = "\(error)"
            #expect(message.contains(path) && message.contains("more than \(limit) bytes"), "\(message)")
        }
        let written = FileSystem.fileSize(scratch + "/input.tar") ?? 0
        #expect(written <= limit)
        #expect(written > Int64(plain.count), "decompression stopped before the limit, so the test proves nothing")

        var options = VerifyOptions(input: path)
        options.decompressionLimit = Self.smallLimit
        do {
            _ = try await BundleVerifier().run(options)
            Issue.record("verify accepted a \(kind) bomb")
        } catch let error as FerryFormatError {
            #expect("\(error)".contains("more than \(limit) bytes"), "\(error)")
        }
    }

    /// Rule: the same way in accepts an honest compressed bundle under the standard limit (the
    /// control for the bomb test: the limit is what stopped it).
    @Test(arguments: StreamCompressor.Kind.allCases)
    func honestBundleOpensUnderTheStandardLimit(_ kind: StreamCompressor.Kind) throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bundle.tar.\(kind.rawValue)"
        let plain = try Self.exampleBundle
        try Data(try Self.compress(plain, kind)).write(to: URL(fileURLWithPath: path))
        let input = try BundleInput.open(path, scratch: dir + "/scratch", limit: .standard)
        #expect(input.decompressed)
        #expect(FileSystem.fileSize(dir + "/scratch/input.tar") == Int64(plain.count))
        #expect(try input.store().indexJSON() != nil)
    }

    /// Rule: a bundle gzipped as several members (`cat a.gz b.gz`, pigz, bgzip) verifies as the
    /// bundle itself; cuts fall inside members and tar headers on purpose.
    @Test(arguments: [[0.5], [0.001, 0.3, 0.3001, 0.9]])
    func multiMemberGzipBundleVerifies(_ cuts: [Double]) async throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try Self.exampleBundle
        var stream: [UInt8] = []
        var start = 0
        for end in cuts.map({ Int(Double(plain.count) * $0) }) + [plain.count] {
            stream += try Self.compress(Array(plain[start..<end]), .gzip)
            start = end
        }
        let path = dir + "/bundle.tar.gz"
        try Data(stream).write(to: URL(fileURLWithPath: path))
        let report = try await BundleVerifier().run(VerifyOptions(input: path))
        #expect(report.ok, "\(report.problems.map(\.message))")
        #expect(report.contentIndexDigest == "sha256:d310b035cc6b2543a749a18228f5e0129c0165b11cf0300440637221ec9f46d4")
        #expect(report.images.count == 3)
    }

    /// One hostile compressed input and a word its error must contain.
    enum Hostile: String, CaseIterable, Sendable {
        case truncatedGzip, truncatedZstd, gzipTrailerCut, hugeZstdWindow

        func bytes(_ bundle: [UInt8]) throws -> [UInt8] {
            switch self {
            case .truncatedGzip: return Array(try HostileCompressedInputTests.compress(bundle, .gzip).dropLast(2000))
            case .truncatedZstd: return Array(try HostileCompressedInputTests.compress(bundle, .zstd).dropLast(2000))
            case .gzipTrailerCut: return Array(try HostileCompressedInputTests.compress(bundle, .gzip).dropLast(3))
            case .hugeZstdWindow:
                // Window_Descriptor exponent 21: a 2 GiB window, then the bundle as raw blocks.
                var frame: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd, 0x00, UInt8(21 << 3)]
                var rest = bundle[...]
                while !rest.isEmpty {
                    let chunk = rest.prefix(100_000)
                    rest = rest.dropFirst(chunk.count)
                    let header = (chunk.count << 3) | (rest.isEmpty ? 1 : 0)
                    frame += [UInt8(header & 0xff), UInt8((header >> 8) & 0xff), UInt8((header >> 16) & 0xff)] + chunk
                }
                return frame
            }
        }

        var evidence: [String] {
            switch self {
            case .truncatedGzip, .gzipTrailerCut, .truncatedZstd: return ["truncat", "premature"]
            case .hugeZstdWindow: return ["memory", "window"]
            }
        }
    }

    /// Rule: a cut or hostile stream is an input error for verify (exit 65, not a damage
    /// report), and import refuses it before sending a single request.
    @Test(arguments: Hostile.allCases)
    func hostileStreamIsAClearInputError(_ hostile: Hostile) async throws {
        let dir = try ExportFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bundle.tar.\(hostile.rawValue)"
        try Data(try hostile.bytes(Self.exampleBundle)).write(to: URL(fileURLWithPath: path))

        await #expect(throws: FerryFormatError.self, "\(hostile)") { _ = try await BundleVerifier().run(VerifyOptions(input: path)) }
        do {
            _ = try await BundleVerifier().run(VerifyOptions(input: path))
        } catch {
            let message = "\(error)".lowercased()
            #expect(message.contains(path.lowercased()) && hostile.evidence.contains { message.contains($0) }, "\(hostile): \(error)")
        }

        let proxy = try FaultProxy(upstream: "127.0.0.1:9", rules: [])
        defer { proxy.stop() }
        let client = RegistryClient(http: HTTPClient(), configuration: RegistryConfiguration(retry: RetryPolicy(maximumAttempts: 1)))
        do {
            _ = try await Importer(client: client).run(ImportOptions(input: path, destination: try DestinationMapper(to: proxy.address)))
            Issue.record("\(hostile): imported")
        } catch {
            let message = "\(error)".lowercased()
            #expect(hostile.evidence.contains { message.contains($0) }, "\(hostile): \(error)")
        }
        #expect(proxy.requests().isEmpty, "\(hostile): sent \(proxy.requests())")
    }
}
