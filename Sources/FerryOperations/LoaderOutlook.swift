import FerryCore
import FerryFormat

/// What each plain loader takes from an archive (issue 17, item 2), by the rules measured with
/// the real tools (`PeerLoadTests`, `SignedBundleLoadTests`; `formats/ferry-bundle/SPEC.md` §13):
/// - containerd `ctr images import` unpacks every `index.json` entry and fails on an artifact;
/// - podman 4.3 `load` reads the OCI side only when `index.json` has exactly one entry, else
///   the Docker side (`manifest.json`): single-platform images only, with new digests;
/// - skopeo `oci-archive:FILE:NAME` takes any entry by name.
public struct LoaderOutlook: Sendable, Encodable, Equatable {
    public var tool: String
    /// Images the loader takes.
    public var images: Int
    /// Images the archive holds (its `index.json` entries, or its Docker side when it has none).
    public var of: Int
    /// `oci` or `docker`.
    public var side: String
    public var digestsKept: Bool
    /// Why it takes less, or what to run instead.
    public var note: String?

    public init(tool: String, images: Int, of: Int, side: String, digestsKept: Bool, note: String? = nil) {
        self.tool = tool
        self.images = images
        self.of = of
        self.side = side
        self.digestsKept = digestsKept
        self.note = note
    }

    /// The outlook for an archive with `entries` (its `index.json`; `artifacts` of them are not
    /// images) and `dockerElements` elements in `manifest.json`.
    static func outlook(entries: Int, artifacts: Int, dockerElements: Int) -> [LoaderOutlook] {
        let runnable = entries - artifacts
        var outlook: [LoaderOutlook] = []
        outlook.append(artifacts == 0
            ? LoaderOutlook(tool: "ctr images import", images: entries, of: entries, side: "oci", digestsKept: true, note: nil)
            : LoaderOutlook(tool: "ctr images import", images: 0, of: entries, side: "oci", digestsKept: true,
                            note: "exits 1 on the \(artifacts) artifact entries of index.json (a 1.0 bundle or an oci-archive); --no-unpack imports them all"))
        if entries == 1 {
            outlook.append(LoaderOutlook(tool: "podman load", images: 1, of: 1, side: "oci", digestsKept: true, note: nil))
        } else {
            outlook.append(LoaderOutlook(tool: "podman load", images: dockerElements, of: max(runnable, dockerElements), side: "docker", digestsKept: false,
                                         note: "podman loads the OCI side only from a one-image archive; take images one by one with podman pull oci-archive:FILE:NAME (digests kept)"))
        }
        outlook.append(LoaderOutlook(tool: "skopeo copy oci-archive:FILE:NAME", images: entries, of: entries, side: "oci", digestsKept: true, note: nil))
        return outlook
    }
}
