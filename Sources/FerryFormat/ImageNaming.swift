public import FerryCore

/// How images in a bundle are named, and where they go (`formats/ferry-bundle/SPEC.md`).
public enum ImageNaming {
    /// The full name of an `index.json` entry, read from every convention writers use, in
    /// precedence order: `io.containerd.image.name`, then a full
    /// `org.opencontainers.image.ref.name` (one with `/`, `:` or `@`). A tag-only ref name
    /// (Docker, BuildKit, regclient) is not a name on its own. Nil: the entry is unnamed.
    ///
    /// With `repository` (`import --repository`), an entry whose ref name is only a tag becomes
    /// REPOSITORY:TAG, and one with no name at all (crane) REPOSITORY@DIGEST: a layout of 26
    /// tag-only entries no longer needs 26 `--name` options (issue 21, item 4).
    public static func name(of entry: Descriptor, repository: ImageReference? = nil) -> ImageReference? {
        let annotations = entry.annotations ?? [:]
        for candidate in [annotations[AnnotationKey.containerdImageName], annotations[AnnotationKey.refName]] {
            guard let text = candidate, text.contains("/") || text.contains("@") || text.contains(":") else { continue }
            if let reference = try? ImageReference(parsing: text) { return reference }
        }
        guard let repository else { return nil }
        if let tag = annotations[AnnotationKey.refName], ImageReference.isValidTag(tag) {
            return ImageReference(registry: repository.registry, repository: repository.repository, tag: tag, digest: nil)
        }
        guard annotations[AnnotationKey.refName] == nil else { return nil }
        return ImageReference(registry: repository.registry, repository: repository.repository, tag: nil, digest: entry.digest)
    }
}
