/// Every client configuration for one mirror map, in the order they are written, and what
/// could not be expressed in some client's terms (said to the user, not written).
public enum MirrorConfig {
    public static func files(_ map: MirrorMap, access: MirrorAccess, origin: String) -> (files: [MirrorFile], notes: [String]) {
        let containerd = ContainerdHosts.files(map, access: access, origin: origin)
        let files = [RegistriesConf.file(map, access: access, origin: origin)] + containerd.files
            + [K3sRegistries.file(map, access: access, origin: origin)] + OpenShiftMirrorSets.files(map, origin: origin)
        return (files, containerd.notes)
    }
}
