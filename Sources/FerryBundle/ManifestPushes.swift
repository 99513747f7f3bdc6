import FerryCore

/// The manifest pushes of one import, shared by its image tasks: each (repository, digest) is
/// checked and pushed once, and every image that needs it waits for that push to finish.
///
/// Why: an index's child can also be an image of its own (a top-level entry of the bundle).
/// Pushed by two tasks at once, one task's HEAD could see the child while the other's PUT was
/// still being stored, and the index went up before the registry would accept it ("manifest
/// blob unknown", 2 imports in 10 at `--jobs 8`; issue 21, item 1). With one task per manifest,
/// "a manifest is pushed only after everything it references" holds across images.
actor ManifestPushes {
    private var tasks: [String: Task<Bool, any Error>] = [:]

    /// Runs `push` for the key once; later callers get the first one's outcome. True when this
    /// push sent the manifest (false: the registry had it).
    func once(repository: String, digest: Digest, _ push: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let key = "\(repository)@\(digest)"
        if let task = tasks[key] {
            _ = try await task.value
            return false
        }
        let task = Task { try await push() }
        tasks[key] = task
        return try await task.value
    }
}
