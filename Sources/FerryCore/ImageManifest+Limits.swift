extension ImageManifest {
    /// Configs larger than this are refused (they are JSON documents of a few KiB normally).
    public static let maximumConfigSize: Int64 = 16 << 20

    /// Layers that must not be redistributed: they carry `urls` (Windows base layers), or have
    /// Docker's foreign layer type. Export leaves them out, and verify and import expect them
    /// absent (`formats/ferry-bundle/SPEC.md`).
    public var nonDistributableLayers: [Descriptor] {
        layers.filter { !($0.urls ?? []).isEmpty || $0.mediaType == .dockerForeignLayerGzip }
    }
}
