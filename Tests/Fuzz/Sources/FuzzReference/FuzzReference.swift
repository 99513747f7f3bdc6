// References and digests as they come from image lists, annotations, RepoTags, registries'
// answers and the command line (FerryCore `ImageReference`, `Digest`, `ImageList`), and
// repository names from sync files (FerryInputs `RepositoryName`).
import FerryCore
import FerryInputs
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReference(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = Fuzz.text(Fuzz.bytes(start, count))

    // A parsed reference is normalised: its canonical form parses to itself, and so does its
    // familiar form (what docker-archive RepoTags hold) to the same name and tag. Except on
    // Docker Hub for a repository whose first component looks like a host
    // (`docker.io/example.com/app`): its familiar form `example.com/app` names another image,
    // in Docker's own familiar form too (distribution/reference `familiarizeName`).
    if let reference = Fuzz.refusing({ try ImageReference(parsing: text) }) {
        let again = Fuzz.refusing { try ImageReference(parsing: reference.description) }
        Fuzz.check(again == reference, "\(text.debugDescription) → \(reference) → \(String(describing: again))")
        if let familiar = reference.familiarTag, !looksLikeHostOnDockerHub(reference) {
            let back = Fuzz.refusing { try ImageReference(parsing: familiar) }
            Fuzz.check(back?.name == reference.name && back?.tag == reference.tag,
                       "familiar form \(familiar) of \(reference) reads back as \(String(describing: back))")
        }
        Fuzz.check(ImageReference.isValidRegistry(reference.registry), "\(reference) has an invalid registry")
        _ = reference.manifestReference
    }

    // A digest is its text exactly (lowercase hex of the exact length, so it is safe in a path).
    if let digest = Fuzz.refusing({ try Digest(parsing: text) }) {
        Fuzz.check(digest.description == text, "digest \(text.debugDescription) reads as \(digest)")
        Fuzz.check(!digest.layoutPath.contains(".."), "digest \(digest) gives the path \(digest.layoutPath)")
    }

    // An image list drops duplicates after normalisation.
    if let references = Fuzz.refusing({ try ImageList.parse(text, source: "fuzz") }) {
        Fuzz.check(Set(references.map(\.description)).count == references.count, "the image list kept a duplicate")
    }

    if let repository = Fuzz.refusing({ try RepositoryName(parsing: text) }) {
        _ = repository.tagged("latest")
        _ = repository.description
    }
    return 0
}

/// A Docker Hub repository whose first path component reads as a registry host (a `.` or `:`,
/// or `localhost`), as `ImageReference` tells hosts from paths.
func looksLikeHostOnDockerHub(_ reference: ImageReference) -> Bool {
    guard reference.registry == ImageReference.dockerHub, let first = reference.repository.split(separator: "/").first else { return false }
    return first.contains(".") || first.contains(":") || first == "localhost"
}
