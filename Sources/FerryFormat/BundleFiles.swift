import FerryCore

/// Every file name derived from a bundle's path, in one place (`formats/ferry-bundle/SPEC.md`
/// §8 and §11): the files that travel beside it (parts, part index, checksums, signature) and
/// ferry's own working files in its directory while it is written (partial file, journal,
/// lock). Writers, readers and reports all ask here, so a name cannot drift between them.
public struct BundleFiles: Sendable, Equatable {
    /// The bundle as named: `site-a.tar` (a split bundle's joined name, which never exists).
    public let bundle: String

    public init(_ bundle: String) { self.bundle = bundle }

    /// Part `index` of a split bundle: `site-a.tar.part-000` (at least three digits).
    public func part(_ index: Int) -> String {
        let number = String(index)
        return bundle + ".part-" + String(repeating: "0", count: max(0, 3 - number.count)) + number
    }

    /// The part index of a split bundle: `site-a.tar.parts.json`.
    public var partIndex: String { bundle + ".parts.json" }

    /// The checksum file of a split bundle, for `sha256sum -c`: `site-a.tar.SHA256SUMS`.
    public var checksums: String { bundle + ".SHA256SUMS" }

    /// The detached signature of the content index: `site-a.tar.sig`.
    public var signature: String { bundle + ".sig" }

    /// Where the bundle is written before it is complete: `.site-a.tar.ferry-partial`, hidden in
    /// the same directory so the final rename stays on one file system.
    public var partial: String {
        let name = String(bundle.split(separator: "/").last ?? "bundle.tar")
        return "\(FileSystem.directoryName(bundle))/.\(name).ferry-partial"
    }

    /// The journal of verified blobs beside the partial file (what a rerun may keep).
    public var journal: String { partial + ".journal" }

    /// The lock one writer holds on the partial file.
    public var lock: String { partial + ".lock" }
}
