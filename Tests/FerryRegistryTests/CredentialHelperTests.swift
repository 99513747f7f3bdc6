@testable import FerryRegistry
import Foundation
import Testing

/// Rule (issue 7): a credential helper that hangs (a keyring waiting for an unlock) is killed
/// after the timeout with a clear error; one that answers is used, whatever it writes to stderr.
@Suite struct CredentialHelperTests {
    static func helper(_ body: String) throws -> String {
        let dir = NSTemporaryDirectory() + "ferry-helper-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/docker-credential-fertest"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return dir
    }

    @Test func hangingHelperIsKilledAfterTheTimeout() throws {
        let dir = try Self.helper("sleep 60")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let started = Date()
        var helper = CredentialHelper(name: "fertest", directories: [dir])
        helper.timeout = 1
        do {
            _ = try helper.get(server: "registry.example")
            Issue.record("a hanging helper returned")
        } catch let error as RegistryError {
            #expect(error.description.contains("did not answer within 1 s"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func chattyHelperIsStillRead() throws {
        // 256 KiB on stderr would fill a pipe nobody drains.
        let dir = try Self.helper("head -c 262144 /dev/zero | tr '\\\\0' x >&2; cat >/dev/null; echo '{\"Username\":\"u\",\"Secret\":\"s\"}'")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let credential = try CredentialHelper(name: "fertest", directories: [dir]).get(server: "registry.example")
        #expect(credential?.username == "u" && credential?.password == "s")
    }
}
