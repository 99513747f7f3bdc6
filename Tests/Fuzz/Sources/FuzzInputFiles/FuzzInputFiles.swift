// The files users bring (FerryInputs): YAML and JSON read through `YAMLReader` (issue 15,
// item 9: a 1 KB alias bomb), image-syncer images and auth files, skopeo sync files, the
// recogniser `export -f` uses, and Kubernetes manifests for `ferry discover` (which may come
// from a Helm chart nobody on the site wrote). The rules found are then resolved against a
// fixed tag list, as export does against a registry's: regex and semver selection, destinations.
import FerryCore
import FerryInputs
import Foundation
import FuzzSupport

/// Tags a registry might list: versions, pre-releases, a `v` prefix, words, a digest-like tag.
let listedTags = ["1.0.0", "1.2.3", "v1.2.3", "2.0.0-rc.1", "1.27", "latest", "stable", "0.0.1+build.5", "sha256-0123abcd.sig"]

/// Answers every repository with `listedTags`: no network.
struct FixedTags: TagLister {
    func tags(of repository: RepositoryName) async throws -> [String] { listedTags }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInputFiles(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Fuzz.bytes(start, count)
    // As the CLI reads a file: BOM dropped, non-UTF-8 refused. Other input still reaches the
    // parsers, repaired, since they take any String.
    let text = Fuzz.refusing { try InputText.decode(Data(bytes), source: "fuzz") } ?? Fuzz.text(bytes)

    Fuzz.refusing { try YAMLReader.documents(text, source: "fuzz") }
    var rules: [SyncRule] = []
    if let images = Fuzz.refusing({ try SyncerImagesFile(text: text, source: "fuzz") }) { rules += images.rules }
    if let skopeo = Fuzz.refusing({ try SkopeoSyncFile(text: text, source: "fuzz") }) { rules += skopeo.rules }
    if let auth = Fuzz.refusing({ try SyncerAuthFile(text: text, source: "fuzz", environment: ["PASSWORD": "secret", "USER": "alice"]) }) {
        _ = auth.entry(registry: "registry.example.com", repository: "team/app")
    }
    switch Fuzz.refusing({ try ImageInputFile.recognise(text: text, source: "fuzz") }) {
    case .syncerImages(let file)?: rules += file.rules
    case .skopeoSync(let file)?: rules += file.rules
    case .plainList?, nil: break
    }

    var discovery = KubernetesDiscovery()
    discovery.scan(text: text, source: "fuzz")
    _ = discovery.references
    _ = discovery.problems.map(\.description)

    if !rules.isEmpty {
        let resolver = RuleResolver(lister: FixedTags(), defaults: DestinationDefaults(registry: "mirror.local:5000", namespace: "team"))
        let found = rules
        Fuzz.blocking {
            _ = try await resolver.resolve(found, source: "fuzz", requireDestinations: true)
        }
        for rule in rules {
            Fuzz.refusing { try rule.selection.select(from: listedTags) }
        }
    }
    return 0
}
