import FerryCore
import FerryFormat
public import FerryMirrors

/// Where a bundle's repositories go in the isolated registry, by import's naming rules, read
/// from the bundle alone (no network): what `ferry mirror-config` writes client configuration
/// for (issue 17, item 4).
public enum MirrorPlanner {
    public static func map(_ options: ImportOptions, opened: ImportInput? = nil) async throws -> MirrorMap {
        let input: ImportInput
        if let opened { input = opened } else { input = try await ImportInput.open(options.input) }
        let (images, _, _, _) = try await Blocking.run { try ImportPlanner.plan(store: input.store, options: options, scratch: input.scratch) }
        return MirrorMap(images.map {
            MirrorMap.Mapping(sourceRegistry: $0.source.registry, sourceRepository: $0.source.repository,
                              mirrorRegistry: $0.destination.registry, mirrorRepository: $0.destination.repository)
        })
    }
}
