/// `registries.conf` (containers-registries.conf(5), version 2) for podman, CRI-O, buildah and
/// skopeo: one `[[registry]]` per upstream registry that went under one prefix, else one per
/// repository, each with the isolated registry as its mirror. Pulls by tag and by digest both go
/// to the mirror; the original location is kept, so the names in Pod specs do not change.
/// Install as `/etc/containers/registries.conf.d/ferry-mirror.conf`.
public enum RegistriesConf {
    public static func file(_ map: MirrorMap, access: MirrorAccess, origin: String) -> MirrorFile {
        var text = """
        # Written by ferry mirror-config from \(origin): the original names are pulled from the
        # isolated registry. Install as /etc/containers/registries.conf.d/ferry-mirror.conf.

        """
        func entry(prefix: String, mirror: String) {
            text += """

            [[registry]]
            prefix = \(quoted(prefix))
            location = \(quoted(prefix))

            [[registry.mirror]]
            location = \(quoted(mirror))

            """
            if access.insecure { text += "insecure = true\n" }
        }
        for registry in map.sourceRegistries {
            if let prefix = map.prefix(of: registry) {
                entry(prefix: registry, mirror: prefix.location)
            } else {
                for mapping in map.mappings(from: registry) { entry(prefix: mapping.source, mirror: mapping.mirror) }
            }
        }
        return MirrorFile(path: "registries.conf.d/ferry-mirror.conf", text: text)
    }
}
