/// OpenShift `ImageDigestMirrorSet` and `ImageTagMirrorSet` (config.openshift.io/v1): the
/// isolated registry as mirror of each upstream registry that went under one prefix, or of each
/// repository. Tag pulls through a mirror need the tag set; digest pulls the digest set.
public enum OpenShiftMirrorSets {
    public static func files(_ map: MirrorMap, origin: String) -> [MirrorFile] {
        var pairs: [(source: String, mirror: String)] = []
        for registry in map.sourceRegistries {
            if let prefix = map.prefix(of: registry) {
                pairs.append((registry, prefix.location))
            } else {
                pairs += map.mappings(from: registry).map { ($0.source, $0.mirror) }
            }
        }
        func document(kind: String, field: String, file: String) -> MirrorFile {
            var text = """
            # Written by ferry mirror-config from \(origin).
            apiVersion: config.openshift.io/v1
            kind: \(kind)
            metadata:
              name: ferry-mirror
            spec:
              \(field):

            """
            for pair in pairs {
                text += "  - source: \(quoted(pair.source))\n    mirrors:\n      - \(quoted(pair.mirror))\n"
            }
            return MirrorFile(path: "openshift/\(file)", text: text)
        }
        return [document(kind: "ImageDigestMirrorSet", field: "imageDigestMirrors", file: "image-digest-mirror-set.yaml"),
                document(kind: "ImageTagMirrorSet", field: "imageTagMirrors", file: "image-tag-mirror-set.yaml")]
    }
}
