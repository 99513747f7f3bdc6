/// containerd's registry hosts (`hosts.toml` under `certs.d/<registry>/`, containerd 1.5+ with
/// `config_path`, or `ctr --hosts-dir`): the isolated registry as the first host of each upstream.
///
/// containerd appends the repository path to the host's path (`override_path`), so it can add a
/// prefix but never drop or rename path components: an upstream whose repositories were
/// flattened or renamed gets no file, and a note says which (podman and k3s can serve them).
public enum ContainerdHosts {
    /// The files, and a note for each registry that could not be written.
    public static func files(_ map: MirrorMap, access: MirrorAccess, origin: String) -> (files: [MirrorFile], notes: [String]) {
        var files: [MirrorFile] = []
        var notes: [String] = []
        for registry in map.sourceRegistries {
            guard let prefix = map.prefix(of: registry) else {
                let renamed = map.mappings(from: registry).prefix(3).map { "\($0.source) → \($0.mirror)" }.joined(separator: ", ")
                notes.append("containerd: \(registry) is not written: its repositories were renamed or shortened (\(renamed)…), and hosts.toml can only add a prefix; use registries.conf or k3s rewrites, or import without --flatten/--map for containerd clients")
                continue
            }
            var host = access.url(prefix.mirrorRegistry)
            if !prefix.path.isEmpty { host += "/v2/\(prefix.path)" }
            var text = """
            # Written by ferry mirror-config from \(origin): \(registry)'s images from the isolated registry.
            server = \(quoted("https://" + apiHost(registry)))

            [host.\(quoted(host))]
              capabilities = ["pull", "resolve"]

            """
            if !prefix.path.isEmpty { text += "  override_path = true\n" }
            if access.insecure { text += "  skip_verify = true\n" }
            files.append(MirrorFile(path: "certs.d/\(registry)/hosts.toml", text: text))
        }
        return (files, notes)
    }
}
