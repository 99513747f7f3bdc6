/// Where each source repository of a bundle went in the isolated registry, and what can be said
/// of it per registry: the input of every client configuration `ferry mirror-config` writes.
///
/// Clients differ in what they can express. podman/CRI-O (`registries.conf`), k3s/RKE2
/// (`rewrite`) and OpenShift mirror sets map any repository to any other; containerd's
/// `hosts.toml` only adds a path in front of the repository (`override_path`), so an upstream
/// registry can be mirrored for containerd only when all its repositories went under one prefix
/// unchanged (no `--flatten`, no `--map` that renames).
public struct MirrorMap: Sendable, Equatable {
    /// One repository and where it went.
    public struct Mapping: Sendable, Hashable, Comparable {
        public let sourceRegistry: String
        public let sourceRepository: String
        public let mirrorRegistry: String
        public let mirrorRepository: String

        public init(sourceRegistry: String, sourceRepository: String, mirrorRegistry: String, mirrorRepository: String) {
            self.sourceRegistry = sourceRegistry
            self.sourceRepository = sourceRepository
            self.mirrorRegistry = mirrorRegistry
            self.mirrorRepository = mirrorRepository
        }

        public var source: String { "\(sourceRegistry)/\(sourceRepository)" }
        public var mirror: String { "\(mirrorRegistry)/\(mirrorRepository)" }

        public static func < (a: Mapping, b: Mapping) -> Bool { (a.source, a.mirror) < (b.source, b.mirror) }
    }

    /// All of one upstream registry under one prefix of one mirror registry.
    public struct Prefix: Sendable, Equatable {
        public let mirrorRegistry: String
        /// Empty when the repositories keep their paths at the mirror's root.
        public let path: String

        public init(mirrorRegistry: String, path: String) {
            self.mirrorRegistry = mirrorRegistry
            self.path = path
        }

        /// The mirror registry and path, as `registry[/path]`.
        public var location: String { path.isEmpty ? mirrorRegistry : "\(mirrorRegistry)/\(path)" }
    }

    /// Sorted, without repeats.
    public let mappings: [Mapping]
    /// The upstream registries, sorted.
    public let sourceRegistries: [String]

    public init(_ mappings: some Sequence<Mapping>) {
        self.mappings = Array(Set(mappings)).sorted()
        sourceRegistries = Array(Set(self.mappings.map(\.sourceRegistry))).sorted()
    }

    public func mappings(from registry: String) -> [Mapping] { mappings.filter { $0.sourceRegistry == registry } }

    /// The one prefix all of `registry`'s repositories went under, or nil when they did not
    /// (several mirror registries or prefixes, or paths renamed or shortened).
    public func prefix(of registry: String) -> Prefix? {
        var found: Prefix?
        for mapping in mappings(from: registry) {
            let suffix = "/" + mapping.sourceRepository
            let path: String
            if mapping.mirrorRepository == mapping.sourceRepository {
                path = ""
            } else if mapping.mirrorRepository.hasSuffix(suffix) {
                path = String(mapping.mirrorRepository.dropLast(suffix.count))
            } else {
                return nil
            }
            let prefix = Prefix(mirrorRegistry: mapping.mirrorRegistry, path: path)
            if let found, found != prefix { return nil }
            found = prefix
        }
        return found
    }
}
