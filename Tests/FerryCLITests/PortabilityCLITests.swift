import FerryTestSupport
import Foundation
import Testing

/// Rules (issue 14, shipping): ferry runs on the distributions of the far side.
/// - With a libcurl older than 7.85/7.77 (RHEL 9 has 7.76.1), export and import work over TLS
///   with `--cert-dir`, libcurl is still limited to http and https, a redirect to another scheme
///   is still refused, and the CA bundle file the fallback writes is gone afterwards.
/// - Without /proc, ferry never runs as if given no arguments: it says what is missing, exit 1.
/// - An argument that is not UTF-8 is refused (exit 64), never rewritten with U+FFFD (issue 15.17).
/// - `--version` names the commit and the libraries ferry runs with, in text and JSON.
@Suite(.serialized) struct PortabilityCLITests {
    static func scratch(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "ferry-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func digest(_ reference: String) throws -> String {
        let raw = try Tool.run("/usr/bin/skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(reference)"])
        return "sha256:" + CopySyncCLITests.sha256Hex(Data(raw.utf8))
    }

    @Test func exportAndImportWorkWithAnOldLibcurl() async throws {
        let source = try await TestRegistry.start(tls: true)
        defer { source.stop() }
        let target = try await TestRegistry.start(tls: true)
        defer { target.stop() }
        let corpus = try await source.push(seed: 141)
        let dir = try Self.scratch("old-curl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let log = dir + "/curl.log"
        let environment = ["LD_PRELOAD": try OldLibcurlShim.build(in: dir), "FERRY_OLD_CURL_LOG": log, "TMPDIR": tmp]
        let sourceCerts = try #require(source.certDirectory), targetCerts = try #require(target.certDirectory)
        let images = corpus.images.map(\.reference)

        let export = try CLITests.ferry(["export"] + images + ["-o", "b.tar", "--cert-dir", sourceCerts, "-q"],
                                        environment: environment, directory: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let imported = try CLITests.ferry(["import", "b.tar", "--to", "\(target.host)/old-curl", "--cert-dir", targetCerts, "-q"],
                                          environment: environment, directory: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        for image in corpus.images {
            #expect(try Self.digest("\(target.host)/old-curl/\(image.repositoryAndTag)") == image.digest, "\(image.reference)")
        }

        // The shim really refused the new options, and ferry set the old ones to http|https (3).
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        for refused in ["refused PROTOCOLS_STR", "refused REDIR_PROTOCOLS_STR", "refused CAINFO_BLOB"] {
            #expect(lines.contains(refused), "\(refused) never happened: the fallback was not exercised")
        }
        let protocolLines = lines.filter { $0.hasPrefix("PROTOCOLS ") || $0.hasPrefix("REDIR_PROTOCOLS ") }
        #expect(!protocolLines.isEmpty)
        #expect(protocolLines.allSatisfy { $0.hasSuffix(" 3") }, "\(Set(protocolLines))")
        #expect(lines.filter { $0.hasPrefix("PROTOCOLS ") }.count == lines.filter { $0 == "refused PROTOCOLS_STR" }.count)
        // The CA bundle went through a file in a private directory under TMPDIR, gone afterwards.
        let caPaths = Set(lines.filter { $0.hasPrefix("CAINFO ") }.map { String($0.dropFirst("CAINFO ".count)) })
        #expect(!caPaths.isEmpty && caPaths.allSatisfy { $0.hasPrefix(tmp + "/ferry-ca-") }, "\(caPaths)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty, "CA bundle files left behind")
    }

    /// A registry that redirects a manifest to ftp:// or file:// gets no request to follow it,
    /// with the old libcurl as with the new.
    @Test(arguments: ["ftp://127.0.0.1:21/manifest", "file:///etc/passwd", "gopher://127.0.0.1:70/x"])
    func redirectToAnotherSchemeIsRefusedWithAnOldLibcurl(_ location: String) async throws {
        let server = try await ScriptedServer(["GET /v2/app/manifests/": .init(status: 302, headers: ["Location": location])])
        defer { server.stop() }
        let dir = try Self.scratch("old-curl-redirect")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["LD_PRELOAD": try OldLibcurlShim.build(in: dir), "FERRY_OLD_CURL_LOG": dir + "/curl.log"]
        let run = try CLITests.ferry(["export", "\(server.host)/app:1", "-o", "b.tar", "--retries", "1"],
                                     environment: environment, directory: dir)
        #expect(run.status != 0)
        #expect(run.stderr.contains("invalid URL"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b.tar"))
        let lines = try String(contentsOfFile: dir + "/curl.log", encoding: .utf8)
        #expect(lines.contains("refused PROTOCOLS_STR") && lines.contains("PROTOCOLS 3"), "\(lines)")
    }

    /// Rule: with /proc hidden (a chroot or container without it), ferry fails with a message
    /// that names /proc, exit 1; it never prints its help and exits 0 as if given nothing.
    @Test(arguments: [["--version"], ["verify", "/nonexistent.tar"], ["export", "--help"]])
    func withoutProcFerrySaysSo(_ arguments: [String]) throws {
        let quoted = ([CLITests.binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let run = try CLITests.ferry(["-c", "mount -t tmpfs none /proc && exec \(quoted)"],
                                     executable: "/usr/bin/unshare", prefix: ["--mount", "/bin/sh"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("/proc is not mounted"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    /// Rule: an argument that is not UTF-8 is refused before anything runs; no file appears under
    /// a name with U+FFFD.
    @Test func nonUTF8ArgumentIsRefused() throws {
        let dir = try Self.scratch("utf8")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try CLITests.ferry(["-c", "exec \"$0\" export 127.0.0.1:9/a:1 -o \"$(printf 'b\\377.tar')\"", CLITests.binary],
                                     directory: dir, executable: "/bin/sh")
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("argument 4 is not valid UTF-8"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func versionNamesTheCommitAndTheLibrariesInUse() throws {
        let text = try CLITests.ferry(["--version"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ferry ") == true && lines.first?.contains("(commit ") == true, "\(text.stdout)")
        let curl = try Tool.run("/usr/bin/pkg-config", ["--modversion", "libcurl"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lines.contains { $0.hasPrefix("libcurl \(curl)") }, "\(text.stdout)")
        #expect(lines.contains { $0.hasPrefix("libarchive 3.") } && lines.contains { $0.hasPrefix("libzstd 1.") }, "\(text.stdout)")

        struct Report: Decodable {
            struct Library: Decodable { var name: String; var version: String }
            var version: String
            var commit: String
            var libraries: [Library]
        }
        let json = try CLITests.ferry(["--version", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(lines.first == "ferry \(report.version) (commit \(report.commit))")
        #expect(report.libraries.first { $0.name == "libcurl" }?.version == curl)
        #expect(Set(report.libraries.map(\.name)).isSuperset(of: ["libcurl", "libarchive", "libzstd"]))
    }
}
