import FerryTestSupport
import Foundation
import Testing

/// Rule (`ferry verify --help`): exit 0 only when everything checks out, 76 when damage was
/// found (after printing the report on stdout), 65 when the input is not an image archive.
@Suite struct VerifyCLITests {
    /// A copy of the spec's example bundle, with one byte of a layer shared by two images flipped
    /// when `damaged`.
    static func bundle(damaged: Bool, in dir: String) throws -> String {
        let path = dir + "/bundle.tar"
        var bytes = try Fixtures.bytes("ferry-bundle/examples/bundle.tar")
        // members.txt: blobs/sha256/1e3bea4d… (the amd64 base layer of nginx and tool) at 22016.
        if damaged { bytes[22016 + 20] ^= 0xff }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [
        (false, "text", Int32(0), "ok: 3 images"),
        (true, "text", Int32(76), "digest-mismatch: blobs/sha256/1e3bea4d"),
        (true, "json", Int32(76), "\"kind\" : \"digest-mismatch\""),
    ])
    func exitCodesAndReport(_ damaged: Bool, _ format: String, _ status: Int32, _ expected: String) throws {
        let dir = NSTemporaryDirectory() + "ferry-verify-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.ferry(["verify", "--format", format, try Self.bundle(damaged: damaged, in: dir)])
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stdout.contains(expected), "\(run.stdout)")
        #expect(run.stdout.contains("sha256:d310b035cc6b2543a749a18228f5e0129c0165b11cf0300440637221ec9f46d4"))
        if damaged {
            #expect(run.stdout.contains("docker.io/library/nginx:1.27") && run.stdout.contains("quay.io/example/tool:2.1"))
            #expect(run.stderr.contains("ferry: error:"))
        }
        // -q (issue 17): nothing but errors; the exit status is the same, JSON still prints.
        let quiet = try CLITests.ferry(["verify", "-q", "--format", format, try Self.bundle(damaged: damaged, in: dir)])
        #expect(quiet.status == status)
        #expect(format == "json" ? quiet.stdout.contains(expected) : quiet.stdout.isEmpty, "\(quiet.stdout)")
        #expect(damaged ? quiet.stderr.contains("ferry: error:") : quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    @Test func notAnArchiveExits65() throws {
        let dir = NSTemporaryDirectory() + "ferry-verify-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(repeating: UInt8(ascii: "x"), count: 4096).write(to: URL(fileURLWithPath: dir + "/junk.tar"))
        let run = try CLITests.ferry(["verify", dir + "/junk.tar"])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("junk.tar"))
    }
}
