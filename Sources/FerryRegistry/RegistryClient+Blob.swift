public import FerryCore
import FerryHTTP
import Foundation

extension RegistryClient {
    /// Downloads a blob into `target`, resuming with `Range` after interruptions. Redirects to
    /// other hosts (object stores, CDNs) are followed without the registry's Authorization.
    /// The caller verifies size and digest (the target hashes as it writes).
    public func fetchBlob(registry: String, repository: String, descriptor: Descriptor,
                          into target: any BlobSink) async throws {
        let digest = descriptor.digest
        let response = try await send(registry: registry, repository: repository, sinkFactory: { head in
            let start = target.received
            switch head.status {
            case 206:
                guard start > 0, Self.contentRangeStart(head.headers["Content-Range"]) == start else {
                    throw RegistryError.badContentRange(url: head.redactedURL, header: head.headers["Content-Range"], expectedStart: start)
                }
                return BlobSinkAdapter(target)
            case 200:
                // Never append a full answer to a partial blob.
                if start > 0 { try target.restart() }
                return BlobSinkAdapter(target)
            default:
                return nil
            }
        }) { endpoint in
            var request = HTTPRequest(url: "\(endpoint.baseURL)/v2/\(repository)/blobs/\(digest)", tls: endpoint.tls)
            let start = target.received
            if start > 0 && start < descriptor.size {
                request.headers.set("Range", "bytes=\(start)-")
            }
            return request
        }
        switch response.status {
        case 200, 206: return
        case 404: throw RegistryError.blobNotFound(repository: "\(registry)/\(repository)", digest: digest)
        case 416 where target.received == descriptor.size: return
        default: throw Self.unexpected(response)
        }
    }

    /// `bytes START-END/TOTAL` → START.
    static func contentRangeStart(_ header: String?) -> Int64? {
        guard let header, header.lowercased().hasPrefix("bytes ") else { return nil }
        let range = header.dropFirst(6)
        guard let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash].trimmingCharacters(in: .whitespaces))
    }
}

/// Adapts a download target to the HTTP layer's sink.
final class BlobSinkAdapter: HTTPBodySink {
    let target: any BlobSink
    init(_ target: any BlobSink) { self.target = target }
    func write(_ buffer: UnsafeRawBufferPointer) throws { try target.write(buffer) }
}
