/// At most `width` blob checks at a time. A check reads and hashes a whole blob; on two cores
/// more than two at once only multiply the buffers and the seeking, and they would take the
/// cores from the transfers already under way.
actor CheckLanes {
    private let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) {
        self.width = max(width, 1)
    }

    /// Runs `body` when a lane is free.
    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        if running >= width {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer {
            if waiting.isEmpty {
                running -= 1
            } else {
                waiting.removeFirst().resume()  // the lane passes to the next check
            }
        }
        return await body()
    }
}
