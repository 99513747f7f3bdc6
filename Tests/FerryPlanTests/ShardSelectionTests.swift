import FerryPlan
import Testing

@Suite struct ShardSelectionTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var environment: [String: String]
        var planShards: Int
        /// Nil: refused.
        var expected: ShardSelection?
        var description: String { "\(text) \(environment.sorted { $0.key < $1.key })" }
    }

    static let cases: [Case] = [
        Case(text: "0/4", environment: [:], planShards: 4, expected: ShardSelection(index: 0, count: 4)),
        Case(text: "3/4", environment: [:], planShards: 4, expected: ShardSelection(index: 3, count: 4)),
        Case(text: "4/4", environment: [:], planShards: 4, expected: nil),
        Case(text: "1/3", environment: [:], planShards: 4, expected: nil),
        Case(text: "-1/4", environment: [:], planShards: 4, expected: nil),
        Case(text: "2", environment: [:], planShards: 4, expected: nil),
        Case(text: "auto", environment: ["SLURM_ARRAY_TASK_ID": "2"], planShards: 4, expected: ShardSelection(index: 2, count: 4)),
        Case(text: "auto", environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"],
             planShards: 4, expected: ShardSelection(index: 2, count: 4)),
        Case(text: "auto", environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "8"], planShards: 4, expected: nil),
        Case(text: "auto", environment: ["JOB_COMPLETION_INDEX": "1"], planShards: 2, expected: ShardSelection(index: 1, count: 2)),
        Case(text: "auto", environment: ["JOB_COMPLETION_INDEX": "2"], planShards: 2, expected: nil),
        Case(text: "auto", environment: ["JOB_COMPLETION_INDEX": "x"], planShards: 2, expected: nil),
        Case(text: "auto", environment: [:], planShards: 2, expected: nil),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: Case) {
        let parsed = try? ShardSelection.parse(testCase.text, planShards: testCase.planShards, environment: testCase.environment)
        #expect(parsed == testCase.expected)
    }
}
