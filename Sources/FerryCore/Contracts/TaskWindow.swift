/// A sliding window of at most `width` concurrent tasks over `items`: the one way ferry runs
/// bounded parallel work (blob copies, uploads, manifest pushes, hashing, resolving).
///
/// `collect` receives each result on the calling task, in the order the tasks finish, so it can
/// count and report without locks; a new task starts as each one finishes. The first error,
/// thrown by `body` or by `collect`, cancels the tasks still running and is rethrown.
package enum TaskWindow {
    package static func run<Item: Sendable, Result: Sendable>(
        _ items: [Item], width: Int,
        _ body: @escaping @Sendable (Item) async throws -> Result,
        collect: (Result) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Result.self) { group in
            var next = items.makeIterator()
            func launch() -> Bool {
                guard let item = next.next() else { return false }
                group.addTask { try await body(item) }
                return true
            }
            for _ in 0..<max(1, width) where !launch() { break }
            while let result = try await group.next() {
                try collect(result)
                _ = launch()
            }
        }
    }
}
