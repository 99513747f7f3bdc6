import FerryMirrors
import FerryTestSupport
import Foundation
import Testing
import Yams

/// Rules (issue 17, item 4; formats/mirror-config/SPEC.md): every mapping of the bundle reaches
/// every client format that can express it; containerd gets only what a path prefix can say,
/// and a note for the rest. The spec's examples are what this map gives, byte for byte.
@Suite struct MirrorConfigTests {
    /// docker.io went under one prefix (`--to mirror.local:5000/m`); quay.io was flattened
    /// (`--flatten 1`), which only some clients can follow.
    static let map = MirrorMap([
        .init(sourceRegistry: "docker.io", sourceRepository: "library/nginx", mirrorRegistry: "mirror.local:5000", mirrorRepository: "m/library/nginx"),
        .init(sourceRegistry: "docker.io", sourceRepository: "library/redis", mirrorRegistry: "mirror.local:5000", mirrorRepository: "m/library/redis"),
        .init(sourceRegistry: "quay.io", sourceRepository: "org/app", mirrorRegistry: "mirror.local:5000", mirrorRepository: "m/app"),
        .init(sourceRegistry: "quay.io", sourceRepository: "org/tool", mirrorRegistry: "mirror.local:5000", mirrorRepository: "m/tool"),
    ])

    static var files: [MirrorFile] { MirrorConfig.files(map, access: MirrorAccess(insecure: false), origin: "site-a.tar").files }

    @Test func examplesAreWhatTheMapGives() throws {
        let written = Self.files
        #expect(written.map(\.path) == ["registries.conf.d/ferry-mirror.conf", "certs.d/docker.io/hosts.toml", "k3s/registries.yaml",
                                        "openshift/image-digest-mirror-set.yaml", "openshift/image-tag-mirror-set.yaml"])
        for file in written {
            let example = "mirror-config/examples/" + file.path
            if ProcessInfo.processInfo.environment["FERRY_WRITE_EXAMPLES"] == "1" {
                let url = Fixtures.url(example)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.text.utf8).write(to: url)
            }
            #expect(try Fixtures.text(example) == file.text, "\(file.path)")
        }
    }

    @Test func prefixesAreFoundOnlyWhenTheyHold() {
        #expect(Self.map.prefix(of: "docker.io") == .init(mirrorRegistry: "mirror.local:5000", path: "m"))
        #expect(Self.map.prefix(of: "quay.io") == nil)
        let root = MirrorMap([.init(sourceRegistry: "ghcr.io", sourceRepository: "a/b", mirrorRegistry: "r:5000", mirrorRepository: "a/b")])
        #expect(root.prefix(of: "ghcr.io") == .init(mirrorRegistry: "r:5000", path: ""))
        let split = MirrorMap([.init(sourceRegistry: "ghcr.io", sourceRepository: "a/b", mirrorRegistry: "r:5000", mirrorRepository: "x/a/b"),
                               .init(sourceRegistry: "ghcr.io", sourceRepository: "c/d", mirrorRegistry: "r:5000", mirrorRepository: "y/c/d")])
        #expect(split.prefix(of: "ghcr.io") == nil)
    }

    /// containerd: only docker.io (a prefix) is written, with override_path; quay.io gets a note.
    @Test func containerdSaysWhatItCannotExpress() {
        let (files, notes) = ContainerdHosts.files(Self.map, access: MirrorAccess(insecure: true), origin: "b.tar")
        let docker = files.first { $0.path == "certs.d/docker.io/hosts.toml" }
        #expect(docker?.text.contains(#"server = "https://registry-1.docker.io""#) == true)
        #expect(docker?.text.contains(#"[host."http://mirror.local:5000/v2/m"]"#) == true)
        #expect(docker?.text.contains("override_path = true") == true && docker?.text.contains("skip_verify = true") == true)
        #expect(files.map(\.path) == ["certs.d/docker.io/hosts.toml"])
        #expect(notes.count == 1 && notes.contains { $0.contains("quay.io is not written") })
    }

    /// k3s: every repository reaches its mirror path through the rewrite rules.
    @Test func k3sRewritesCoverEveryMapping() throws {
        let file = K3sRegistries.file(Self.map, access: MirrorAccess(), origin: "b.tar")
        let yaml = try #require(try Yams.load(yaml: file.text) as? [String: Any])
        let mirrors = try #require(yaml["mirrors"] as? [String: [String: Any]])
        for mapping in Self.map.mappings {
            let entry = try #require(mirrors[mapping.sourceRegistry])
            #expect((entry["endpoint"] as? [String]) == ["https://\(mapping.mirrorRegistry)"])
            let rewrites = entry["rewrite"] as? [String: String] ?? [:]
            let rewritten = rewrites.reduce(mapping.sourceRepository) { path, rule in
                guard let regex = try? NSRegularExpression(pattern: rule.key),
                      regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil else { return path }
                return regex.stringByReplacingMatches(in: path, range: NSRange(path.startIndex..., in: path), withTemplate: rule.value)
            }
            #expect(rewritten == mapping.mirrorRepository, "\(mapping.source)")
        }
    }

    /// OpenShift: each source (registry or repository) has the mirror the mapping says, in both sets.
    @Test func openShiftSetsCoverEveryMapping() throws {
        for file in OpenShiftMirrorSets.files(Self.map, origin: "b.tar") {
            let yaml = try #require(try Yams.load(yaml: file.text) as? [String: Any])
            let spec = try #require(yaml["spec"] as? [String: Any])
            let entries = try #require((spec["imageDigestMirrors"] ?? spec["imageTagMirrors"]) as? [[String: Any]])
            for mapping in Self.map.mappings {
                // The longest source that is the repository or a parent of it decides, as in OpenShift.
                let match = entries.compactMap { entry -> (String, String)? in
                    guard let source = entry["source"] as? String, let mirror = (entry["mirrors"] as? [String])?.first,
                          mapping.source == source || mapping.source.hasPrefix(source + "/") else { return nil }
                    return (source, mirror)
                }.max { $0.0.count < $1.0.count }
                let (source, mirror) = try #require(match, "\(mapping.source)")
                #expect(mirror + mapping.source.dropFirst(source.count) == mapping.mirror, "\(file.path): \(mapping.source)")
            }
        }
    }

    /// registries.conf: the same longest-prefix rule reaches every mirror repository.
    @Test func registriesConfCoversEveryMapping() throws {
        let text = RegistriesConf.file(Self.map, access: MirrorAccess(insecure: true), origin: "b.tar").text
        var entries: [(prefix: String, mirror: String)] = []
        var prefix: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if parts[0] == "prefix" { prefix = value }
            if parts[0] == "location", let current = prefix, value != current { entries.append((current, value)) }
        }
        #expect(text.contains("insecure = true"))
        for mapping in Self.map.mappings {
            let match = entries.filter { mapping.source == $0.prefix || mapping.source.hasPrefix($0.prefix + "/") }.max { $0.prefix.count < $1.prefix.count }
            let entry = try #require(match, "\(mapping.source)")
            #expect(entry.mirror + mapping.source.dropFirst(entry.prefix.count) == mapping.mirror, "\(mapping.source)")
        }
    }
}
