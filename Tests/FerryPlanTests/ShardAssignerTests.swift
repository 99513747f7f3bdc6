import FerryPlan
import Testing

@Suite struct ShardAssignerTests {
    static let mib: Int64 = 1 << 20

    /// Units named `repo:tag` with blob indexes.
    static func unit(_ key: String, _ blobs: [Int]) -> ShardAssigner.Unit {
        ShardAssigner.Unit(key: key, repository: String(key.split(separator: ":")[0]), blobs: blobs)
    }

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var sizes: [Int64]
        var units: [ShardAssigner.Unit]
        var shards: Int
        var expected: [Int]
    }

    static let cases: [Case] = [
        Case(description: "unrelated equal images fill every shard once (LPT)",
             sizes: [4, 4, 4, 4].map { $0 * mib },
             units: [unit("a:1", [0]), unit("b:1", [1]), unit("c:1", [2]), unit("d:1", [3])],
             shards: 4, expected: [0, 1, 2, 3]),
        Case(description: "largest first: the big image takes a shard of its own",
             sizes: [6, 2, 2, 2].map { $0 * mib },
             units: [unit("a:1", [1]), unit("b:1", [2]), unit("c:1", [3]), unit("d:1", [0])],
             shards: 2, expected: [1, 1, 1, 0]),
        Case(description: "images on one large base stay with it",
             sizes: [8 * mib, mib, mib, 8 * mib, mib, mib],
             units: [unit("a:1", [0, 1]), unit("b:1", [3, 4]), unit("a:2", [0, 2]), unit("b:2", [3, 5])],
             shards: 2, expected: [0, 1, 0, 1]),
        Case(description: "a small shared blob does not group, but draws images together where they fit",
             sizes: [1024, mib, mib, mib, mib],
             units: [unit("a:1", [0, 1]), unit("b:1", [0, 2]), unit("c:1", [0, 3]), unit("d:1", [0, 4])],
             shards: 2, expected: [0, 0, 1, 1]),
        Case(description: "a group too big for one shard is split by repository",
             sizes: [4, 2, 2, 2, 2, 2, 2].map { $0 * mib },
             units: [unit("a:1", [0, 1]), unit("a:2", [0, 2]), unit("b:1", [0, 3]), unit("b:2", [0, 4]),
                     unit("c:1", [0, 5]), unit("c:2", [0, 6])],
             shards: 3, expected: [0, 0, 1, 1, 2, 2]),
    ]

    @Test(arguments: cases)
    func assigns(_ testCase: Case) throws {
        let assigned = try ShardAssigner(sizes: testCase.sizes).assign(testCase.units, shards: testCase.shards)
        #expect(assigned == testCase.expected)
    }

    /// One base shared by every image is more than a shard: the group is split by repository,
    /// each repository stays whole (the capacity grows to the base stored once per shard, which
    /// cannot be helped), and the shards come out even.
    @Test func splitsAGroupTooBigByRepository() throws {
        var sizes: [Int64] = [4 * Self.mib]
        var units: [ShardAssigner.Unit] = []
        for repository in 0..<8 {
            for tag in 0..<4 {
                units.append(Self.unit("r\(repository):\(tag)", [0, sizes.count]))
                sizes.append(Self.mib)
            }
        }
        let assigned = try ShardAssigner(sizes: sizes).assign(units, shards: 4)
        for repository in 0..<8 {
            #expect(Set(assigned[(repository * 4)..<(repository * 4 + 4)]).count == 1, "repository r\(repository) was split")
        }
        let figures = SpreadFigures(members: zip(assigned, units).map { (shard: $0, blobs: $1.blobs) }, sizes: sizes, count: 4)
        #expect(figures.shards.map(\.images) == [8, 8, 8, 8])
        #expect(figures.bytesInSeveralShards == 4 * Self.mib)
        #expect(figures.maxOverMean < 1.01)
    }

    @Test func refusesMoreShardsThanImages() {
        #expect(throws: FerryPlanError.self) {
            try ShardAssigner(sizes: [1]).assign([Self.unit("a:1", [0])], shards: 2)
        }
    }

    /// The naive split that the plan is compared with: the same repository always lands in the
    /// same shard, on every machine.
    @Test func repositoryHashIsStable() {
        #expect(SpreadFigures.repositoryHash("registry.local/team/app", count: 16) == SpreadFigures.repositoryHash("registry.local/team/app", count: 16))
        let spread = Set((0..<64).map { SpreadFigures.repositoryHash("registry.local/repo-\($0)", count: 4) })
        #expect(spread == [0, 1, 2, 3])
    }

    @Test func figuresCountSharedBytesOnce() {
        // Blob 0 (10 bytes) in both shards, blob 1 (5) in shard 0, blob 2 (7) in shard 1.
        let figures = SpreadFigures(members: [(shard: 0, blobs: [0, 1]), (shard: 1, blobs: [0, 2])], sizes: [10, 5, 7], count: 2)
        #expect(figures.shards == [.init(images: 1, bytes: 15, sharedBytes: 10), .init(images: 1, bytes: 17, sharedBytes: 10)])
        #expect(figures.uniqueBytes == 22)
        #expect(figures.bytesInSeveralShards == 10)
        #expect(figures.extraBytes == 10)
        #expect(abs(figures.maxOverMean - 17.0 / 16.0) < 1e-9)
    }
}
