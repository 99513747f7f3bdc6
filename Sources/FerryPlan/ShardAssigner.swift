/// Spreads images over shards so that each shard's bundle is about the same size and few bytes
/// are stored in more than one shard (`formats/plan/SPEC.md`, "Assigning shards").
///
/// 1. Images that share a blob of at least `groupMinSize` bytes (a base layer, a runtime) form
///    one group: kept together, a shared base is stored once.
/// 2. Groups are placed largest first (ties by their first reference). Each goes to the shard
///    where it adds the fewest bytes (the blobs that shard lacks), among the shards it fits in
///    (load + added ≤ capacity, the mean share plus `slack`); ties go to the lighter shard,
///    then the lower index. Unrelated groups so fill the shards like longest-processing-time
///    bin packing, and related ones land where their blobs are.
/// 3. A group that fits in no shard is split into its repositories, and a repository that fits
///    nowhere into its images, each placed by the same rule. An image that fits nowhere goes
///    where the shard ends lightest.
///
/// Everything is decided by sizes and names, so the same input gives the same assignment.
public struct ShardAssigner: Sendable {
    /// What is placed whole: an image and its attachments.
    public struct Unit: Sendable {
        /// Orders ties (the image's reference).
        public var key: String
        /// Splits a group that is too big (`registry/repository`).
        public var repository: String
        /// Indexes into `sizes`, without repeats.
        public var blobs: [Int]

        public init(key: String, repository: String, blobs: [Int]) {
            self.key = key
            self.repository = repository
            self.blobs = blobs
        }
    }

    public let sizes: [Int64]
    public let groupMinSize: Int64
    public let slack: Double

    public init(sizes: [Int64], groupMinSize: Int64 = 1 << 20, slack: Double = 0.05) {
        self.sizes = sizes
        self.groupMinSize = groupMinSize
        self.slack = slack
    }

    /// The shard of every unit, in the order given.
    public func assign(_ units: [Unit], shards count: Int) throws(FerryPlanError) -> [Int] {
        guard count >= 1 else { throw .assignment(reason: "the number of shards must be at least 1") }
        guard units.count >= count else {
            throw .assignment(reason: "\(count) shards for \(units.count) image(s): a shard would be empty; ask for at most \(units.count)")
        }
        let empty = State(sizes: sizes, count: count, capacity: 0)
        let groups = Self.groups(units, sizes: sizes, minSize: groupMinSize)
            .map { (members: $0, bytes: empty.bytes(empty.blobs(of: $0, units: units)), key: units[$0[0]].key) }
            .sorted { ($1.bytes, $0.key) < ($0.bytes, $1.key) }
        func run(capacity: Int64) -> State {
            var state = State(sizes: sizes, count: count, capacity: capacity)
            for group in groups { state.place(group.members, level: .group, units: units) }
            return state
        }
        // The first capacity assumes no blob is stored twice. When the shards cannot help
        // storing some twice (every image on one base, more shards than bases), that share is
        // too small and repositories get cut for no gain: plan again with the mean of what was
        // actually stored, a few times at most, and keep the best of the runs (`better`).
        var capacity = Self.capacity(units, sizes: sizes, count: count, slack: slack)
        var best = run(capacity: capacity)
        var last = best
        for _ in 0..<3 {
            let needed = Int64((Double(last.loads.reduce(0, +)) / Double(count) * (1 + slack)).rounded(.up))
            guard needed > capacity else { break }
            capacity = needed
            last = run(capacity: capacity)
            if Self.better(last, than: best, slack: slack) { best = last }
        }
        return best.shardOfUnit(count: units.count)
    }

    /// Balance first (largest shard within twice the slack of the mean), then the fewest bytes
    /// stored twice, then balance again; a tie goes to the later run, whose larger capacity
    /// cut fewer repositories.
    static func better(_ candidate: State, than current: State, slack: Double) -> Bool {
        func figures(_ state: State) -> (balanced: Bool, stored: Int64, ratio: Double) {
            let stored = state.loads.reduce(0, +)
            let mean = Double(stored) / Double(max(state.count, 1))
            let ratio = mean > 0 ? Double(state.loads.max() ?? 0) / mean : 1
            return (ratio <= 1 + 2 * slack, stored, ratio)
        }
        let (a, b) = (figures(candidate), figures(current))
        if a.balanced != b.balanced { return a.balanced }
        if !a.balanced { return a.ratio <= b.ratio }
        if a.stored != b.stored { return a.stored < b.stored }
        return a.ratio <= b.ratio
    }

    /// The mean share of the distinct bytes, plus `slack`.
    static func capacity(_ units: [Unit], sizes: [Int64], count: Int, slack: Double) -> Int64 {
        var used = Set<Int>()
        for unit in units { used.formUnion(unit.blobs) }
        let total = used.reduce(Int64(0)) { $0 + sizes[$1] }
        return Int64((Double(total) / Double(count) * (1 + slack)).rounded(.up))
    }

    /// Units joined by the large blobs they share (union-find), each group in unit order.
    static func groups(_ units: [Unit], sizes: [Int64], minSize: Int64) -> [[Int]] {
        var parent = Array(units.indices)
        func root(_ unit: Int) -> Int {
            var node = unit
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        var holder: [Int: Int] = [:]
        for (index, unit) in units.enumerated() {
            for blob in unit.blobs where sizes[blob] >= minSize {
                if let other = holder[blob] {
                    let (a, b) = (root(index), root(other))
                    if a != b { parent[max(a, b)] = min(a, b) }
                } else {
                    holder[blob] = index
                }
            }
        }
        var members: [Int: [Int]] = [:]
        for index in units.indices { members[root(index), default: []].append(index) }
        return members.keys.sorted().compactMap { members[$0] }
    }

    enum Level { case group, repository, unit }

    /// Loads and contents of the shards while placing.
    struct State {
        let sizes: [Int64]
        let count: Int
        let capacity: Int64
        var loads: [Int64]
        var held: [Set<Int>]
        var placed: [Int: Int] = [:]

        init(sizes: [Int64], count: Int, capacity: Int64) {
            self.sizes = sizes
            self.count = count
            self.capacity = capacity
            loads = Array(repeating: 0, count: count)
            held = Array(repeating: [], count: count)
        }

        func blobs(of members: [Int], units: [Unit]) -> Set<Int> {
            var blobs = Set<Int>()
            for member in members { blobs.formUnion(units[member].blobs) }
            return blobs
        }

        func bytes(_ blobs: Set<Int>) -> Int64 { blobs.reduce(0) { $0 + sizes[$1] } }

        mutating func place(_ members: [Int], level: Level, units: [Unit]) {
            let blobs = self.blobs(of: members, units: units)
            let added = (0..<count).map { shard in blobs.reduce(Int64(0)) { held[shard].contains($1) ? $0 : $0 + sizes[$1] } }
            let fitting = (0..<count).filter { loads[$0] + added[$0] <= capacity }
            if let best = fitting.min(by: { (added[$0], loads[$0], $0) < (added[$1], loads[$1], $1) }) {
                commit(members, blobs: blobs, to: best, added: added[best])
                return
            }
            if level != .unit, members.count > 1 {
                var parts: [[Int]]
                var next = Level.unit
                if level == .group {
                    var byRepository: [String: [Int]] = [:]
                    for member in members { byRepository[units[member].repository, default: []].append(member) }
                    parts = Array(byRepository.values)
                    if parts.count > 1 { next = .repository } else { parts = members.map { [$0] } }
                } else {
                    parts = members.map { [$0] }
                }
                let keyed = parts.map { part in (part: part, bytes: bytes(self.blobs(of: part, units: units)), key: units[part[0]].key) }
                for item in keyed.sorted(by: { ($1.bytes, $0.key) < ($0.bytes, $1.key) }) {
                    place(item.part, level: next, units: units)
                }
                return
            }
            let lightest = (0..<count).min(by: { (loads[$0] + added[$0], $0) < (loads[$1] + added[$1], $1) }) ?? 0
            commit(members, blobs: blobs, to: lightest, added: added[lightest])
        }

        mutating func commit(_ members: [Int], blobs: Set<Int>, to shard: Int, added: Int64) {
            loads[shard] += added
            held[shard].formUnion(blobs)
            for member in members { placed[member] = shard }
        }

        func shardOfUnit(count units: Int) -> [Int] {
            (0..<units).map { placed[$0] ?? 0 }
        }
    }
}
