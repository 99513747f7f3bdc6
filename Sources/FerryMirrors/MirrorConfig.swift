/// Every client configuration for one mirror map, in the order they are written.
public enum MirrorConfig {
    public static func files(_ map: MirrorMap, access: MirrorAccess, origin: String) -> [MirrorFile] {
        [RegistriesConf.file(map, access: access, origin: origin)]
            + ContainerdHosts.files(map, access: access, origin: origin)
            + [K3sRegistries.file(map, access: access, origin: origin)]
            + OpenShiftMirrorSets.files(map, origin: origin)
    }
}
