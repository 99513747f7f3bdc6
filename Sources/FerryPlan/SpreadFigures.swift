/// How well a set of images is spread over shards: what `ferry plan` reports for its own
/// assignment and, beside it, for the naive split by a hash of the repository name.
public struct SpreadFigures: Sendable, Encodable, Equatable {
    public var shards: [MigrationPlan.Shard]
    /// The distinct bytes of all images: the size of one bundle of everything.
    public var uniqueBytes: Int64
    /// Bytes of the blobs stored in more than one shard (each such blob counted once).
    public var bytesInSeveralShards: Int64
    /// Bytes stored beyond one copy of each blob (sum of shard bytes minus `uniqueBytes`).
    public var extraBytes: Int64
    /// The largest shard's bytes over the mean shard's (1.0 is perfect balance).
    public var maxOverMean: Double

    /// The figures for images placed as `members` says: per image, its shard and its blobs
    /// (indexes into `sizes`).
    public init(members: [(shard: Int, blobs: [Int])], sizes: [Int64], count: Int) {
        var held = Array(repeating: Set<Int>(), count: count)
        var images = Array(repeating: 0, count: count)
        for member in members {
            held[member.shard].formUnion(member.blobs)
            images[member.shard] += 1
        }
        var copies: [Int: Int] = [:]
        for set in held { for blob in set { copies[blob, default: 0] += 1 } }
        shards = (0..<count).map { shard in
            MigrationPlan.Shard(images: images[shard],
                                bytes: held[shard].reduce(0) { $0 + sizes[$1] },
                                sharedBytes: held[shard].reduce(0) { (copies[$1] ?? 0) > 1 ? $0 + sizes[$1] : $0 })
        }
        uniqueBytes = copies.keys.reduce(0) { $0 + sizes[$1] }
        bytesInSeveralShards = copies.reduce(0) { $1.value > 1 ? $0 + sizes[$1.key] : $0 }
        let total = shards.reduce(Int64(0)) { $0 + $1.bytes }
        extraBytes = total - uniqueBytes
        let mean = Double(total) / Double(max(count, 1))
        maxOverMean = mean > 0 ? Double(shards.map(\.bytes).max() ?? 0) / mean : 1
    }

    /// The split a user would make by hand: shard = a stable hash of the repository name
    /// modulo `count` (FNV-1a, so it is the same on every machine and run).
    public static func repositoryHash(_ repository: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in repository.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(max(count, 1)))
    }
}
