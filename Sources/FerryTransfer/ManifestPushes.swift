import FerryCore

/// The manifest pushes of one import, shared by its image tasks: each (repository, digest) is
/// checked and pushed once, and every image that needs it waits for that push to finish, so "a
/// manifest is pushed only after everything it references" holds across images too (an index's
/// child can be an image of its own, a top-level entry of the bundle; issue 21, item 1).
///
/// This alone did not end issue 21's failures: distribution can answer a HEAD for a manifest it
/// holds only in another repository, so a child was skipped and its index refused. The push of
/// an index therefore recovers from a 400 by putting its children (`RegistryPublisher.pushManifests`).
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
