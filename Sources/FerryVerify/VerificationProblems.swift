import FerryCore
import FerryFormat

/// Which images a problem breaks, resolved to names only at the end, when the whole graph is
/// known (a blob found damaged early may be needed by an image walked later).
enum ProblemScope: Sendable, Equatable {
    /// No image's content is affected (a structural defect of the container itself).
    case none
    /// Every image that needs this blob.
    case blob(Digest)
    /// These images by name.
    case images([String])
    /// Every image in the input.
    case all
}

/// Collects problems while the checks run; never stops at the first one.
struct ProblemLog: Sendable {
    struct Entry: Sendable {
        var problem: VerificationProblem
        var scope: ProblemScope
    }

    private(set) var entries: [Entry] = []
    private var recorded = Set<VerificationProblem>()
    /// Kinds recorded per digest, for checks that skip a fact another check already reported.
    private var kindsByDigest: [String: Set<VerificationProblem.Kind>] = [:]

    /// Records a problem once: the same fact reached from several images is one problem whose
    /// `affectedImages` lists them all.
    mutating func add(_ kind: VerificationProblem.Kind, member: String? = nil, digest: Digest? = nil,
                      expected: String? = nil, actual: String? = nil, offset: Int64? = nil, length: Int64? = nil,
                      scope: ProblemScope, _ message: String) {
        let problem = VerificationProblem(kind: kind, member: member, digest: digest?.description, expected: expected,
                                          actual: actual, offset: offset, length: length, affectedImages: [],
                                          message: message)
        guard recorded.insert(problem).inserted else { return }
        entries.append(Entry(problem: problem, scope: scope))
        if let digest { kindsByDigest[digest.description, default: []].insert(kind) }
    }

    /// True when a problem of one of `kinds` was recorded for `digest`.
    func has(_ kinds: Set<VerificationProblem.Kind>, for digest: Digest) -> Bool {
        !(kindsByDigest[digest.description] ?? []).isDisjoint(with: kinds)
    }

    /// Problems whose absence of content makes an image incomplete rather than damaged.
    static let absenceKinds: Set<VerificationProblem.Kind> = [.missingBlob, .missingMember, .truncated]
}
