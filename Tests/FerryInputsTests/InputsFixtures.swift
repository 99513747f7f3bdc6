import FerryInputs
import FerryTestSupport
import Foundation

/// Shared helpers: the examples of formats/sync-files and a tag table standing in for a registry.
enum InputsFixtures {
    static let examples = "sync-files/examples"

    static func text(_ relative: String) throws -> String {
        try Fixtures.text("\(examples)/\(relative)")
    }

    static func path(_ relative: String) -> String {
        Fixtures.url("\(examples)/\(relative)").path
    }

    /// Environment for the auth examples.
    static let authEnvironment = ["QUAY_PASSWORD": "quay-secret", "COREOS_PASSWORD": "coreos-secret",
                                  "HUB_USER": "hubber", "HUB_TOKEN": "hub-token"]
}

/// Tags per repository, counting how often each repository was listed.
final class TableTagLister: TagLister, @unchecked Sendable {
    let table: [String: [String]]
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    init(_ table: [String: [String]]) { self.table = table }

    func tags(of repository: RepositoryName) async throws -> [String] {
        lock.withLock { counts[repository.description, default: 0] += 1 }
        guard let tags = table[repository.description] else {
            throw TableListerError(repository: repository.description)
        }
        return tags
    }

    func listings(_ repository: String) -> Int { lock.withLock { counts[repository] ?? 0 } }
}

struct TableListerError: Error, CustomStringConvertible {
    let repository: String
    var description: String { "no such repository \(repository)" }
}
