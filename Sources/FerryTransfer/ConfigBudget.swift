import FerryCore

/// How many config bytes resolved images keep in memory, together (issue 18: memory must stay
/// flat as lists grow). A config is read whole while resolving (it gives a single-platform
/// image its platform); within the budget its verified bytes are kept and written or sent from
/// memory, past it they are dropped and the config is fetched again with the layers, by digest,
/// and checked again. Either way the same bytes land in the bundle: only the memory and one
/// more small request per config differ. The default keeps every config of a list of a few
/// hundred images; real configs are 2 to 20 KB, so 10,000 would otherwise hold 20 to 200 MB.
/// `total` is read and written under `lock` only (hence @unchecked Sendable).
public final class ConfigBudget: @unchecked Sendable {
    public static let defaultBytes = 4 << 20

    private let limit: Int
    private let lock = Mutex()
    private var total = 0

    public init(bytes: Int) {
        limit = bytes
    }

    /// `bytes` when they fit in what is left of the budget (and counts them), else nil.
    func keep(_ bytes: [UInt8]) -> [UInt8]? {
        lock.withLock {
            guard total + bytes.count <= limit else { return nil }
            total += bytes.count
            return bytes
        }
    }
}
