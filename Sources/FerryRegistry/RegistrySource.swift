public import FerryCore

/// Images in a registry, through `RegistryClient`.
public struct RegistrySource: ImageSource {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    public func manifest(_ reference: ImageReference) async throws -> FetchedManifest {
        try await client.fetchManifest(reference)
    }

    public func blob(_ reference: ImageReference, descriptor: Descriptor, into target: any BlobSink) async throws {
        try await client.fetchBlob(registry: reference.registry, repository: reference.repository,
                                   descriptor: descriptor, into: target)
    }

    public func tags(of reference: ImageReference) async throws -> [String] {
        try await client.listTags(registry: reference.registry, repository: reference.repository)
    }

    public func referrers(of reference: ImageReference, subject digest: Digest) async throws -> [Descriptor]? {
        try await client.referrers(registry: reference.registry, repository: reference.repository, digest: digest)
    }
}
