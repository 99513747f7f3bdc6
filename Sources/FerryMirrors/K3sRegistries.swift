/// k3s and RKE2 `registries.yaml` (`/etc/rancher/k3s/registries.yaml`): per upstream registry,
/// the isolated registry as endpoint, with `rewrite` rules for repositories that moved (a prefix,
/// or one exact rule per repository when they were flattened or renamed).
public enum K3sRegistries {
    public static func file(_ map: MirrorMap, access: MirrorAccess, origin: String) -> MirrorFile {
        var text = "# Written by ferry mirror-config from \(origin). Install as /etc/rancher/k3s/registries.yaml.\nmirrors:\n"
        for registry in map.sourceRegistries {
            let mappings = map.mappings(from: registry)
            let prefix = map.prefix(of: registry)
            let endpoint = prefix?.mirrorRegistry ?? mappings.first?.mirrorRegistry ?? registry
            text += "  \(quoted(registry)):\n    endpoint:\n      - \(quoted(access.url(endpoint)))\n"
            var rewrites: [(String, String)] = []
            if let prefix {
                if !prefix.path.isEmpty { rewrites.append(("^(.*)$", "\(prefix.path)/$1")) }
            } else {
                // One endpoint per upstream in k3s: repositories sent to another mirror registry
                // cannot be expressed; the rules cover those on `endpoint`.
                for mapping in mappings where mapping.mirrorRegistry == endpoint {
                    rewrites.append(("^\(escapedRegex(mapping.sourceRepository))$", mapping.mirrorRepository))
                }
            }
            if !rewrites.isEmpty {
                text += "    rewrite:\n"
                for (pattern, replacement) in rewrites { text += "      \(quoted(pattern)): \(quoted(replacement))\n" }
            }
        }
        return MirrorFile(path: "k3s/registries.yaml", text: text)
    }

    static func escapedRegex(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
