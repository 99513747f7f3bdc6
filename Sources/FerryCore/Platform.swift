/// An image platform (`os/architecture[/variant]`), as in an index's descriptors and a config.
///
/// Common aliases are normalised when parsing user input (`x86_64` → `amd64`, `aarch64` →
/// `arm64`), so `--platform linux/aarch64` selects the `linux/arm64/v8` child.
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]` as typed on the command line.
    public init(parsing text: String) throws(FerryCoreError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { String($0).lowercased() }
        guard parts.count == 2 || parts.count == 3 else {
            throw .invalidPlatform(text, reason: "expected os/architecture[/variant], for example linux/arm64/v8")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        for part in parts where part.isEmpty || !part.allSatisfy({ allowed.contains($0) }) {
            throw .invalidPlatform(text, reason: "\"\(part)\" is not a valid platform component")
        }
        var architecture = parts[1]
        var variant = parts.count == 3 ? parts[2] : nil
        switch architecture {
        case "x86_64", "x86-64": architecture = "amd64"
        case "aarch64": architecture = "arm64"
        case "armhf": architecture = "arm"; variant = variant ?? "v7"
        case "armel": architecture = "arm"; variant = variant ?? "v6"
        default: break
        }
        self.init(os: parts[0], architecture: architecture, variant: variant)
    }

    /// `os/arch` or `os/arch/variant`.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// The variant with the defaults the ecosystem assumes when it is omitted
    /// (`arm64` means `v8`), so `linux/arm64` and `linux/arm64/v8` compare equal.
    var effectiveVariant: String? {
        if let variant, !variant.isEmpty { return variant }
        return architecture == "arm64" ? "v8" : nil
    }

    /// True when `candidate` (a child of an index) is what this requested platform asks for.
    /// A request without a variant matches any variant of that architecture.
    public func matches(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        guard variant != nil else { return true }
        return effectiveVariant == candidate.effectiveVariant
    }
}
