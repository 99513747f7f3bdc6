/// `TaskWindow` when every result is wanted, in input order. The first error cancels the rest
/// and is rethrown.
package enum BoundedMap {
    package static func run<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        var results = [R?](repeating: nil, count: items.count)
        try await TaskWindow.run(Array(items.enumerated()), width: width, { item in (item.offset, try await body(item.element)) }) {
            results[$0.0] = $0.1
        }
        return results.compactMap { $0 }
    }
}
