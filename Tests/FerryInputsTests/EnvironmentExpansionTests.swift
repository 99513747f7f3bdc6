import FerryInputs
import Foundation
import Testing

/// Rule (formats/sync-files/SPEC.md, auth.json): a value that is exactly `${NAME}` or `$NAME`
/// takes the variable's value; anything else is literal; a variable that is not set is an
/// error naming it.
@Suite struct EnvironmentExpansionTests {
    static let environment = ["QUAY_PASSWORD": "s3cret", "HUB_USER": "alice", "EMPTY": "", "_X1": "x"]

    @Test(arguments: [
        ("${QUAY_PASSWORD}", "s3cret"),
        ("$QUAY_PASSWORD", "s3cret"),
        ("${HUB_USER}", "alice"),
        ("$EMPTY", ""),
        ("${_X1}", "x"),
        ("plain", "plain"),
        ("literal-pa$$word", "literal-pa$$word"),   // not a whole-value reference
        ("pre-${HUB_USER}", "pre-${HUB_USER}"),
        ("${HUB_USER}-post", "${HUB_USER}-post"),
        ("$", "$"),
        ("${}", "${}"),
        ("$1abc", "$1abc"),
        ("", ""),
    ])
    func expands(_ value: String, _ expected: String) throws {
        #expect(try EnvironmentExpansion.expand(value, environment: Self.environment, source: "auth.json", key: "quay.io", field: "password") == expected)
    }

    /// The error names the file, key and field, never the value: `$Summer2024x` may be a
    /// literal password (issue 15, item 18).
    @Test(arguments: ["${NOT_SET}", "$NOT_SET", "$Summer2024x"])
    func missingVariableIsAnErrorNamingTheFieldOnly(_ value: String) {
        do {
            _ = try EnvironmentExpansion.expand(value, environment: Self.environment, source: "auth.json", key: "quay.io", field: "password")
            Issue.record("expected an error for \(value)")
        } catch {
            guard case .missingVariable(let source, let key, let field) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(source == "auth.json" && key == "quay.io" && field == "password")
            #expect(error.description.contains("quay.io.password"))
            let secret = value.trimmingCharacters(in: CharacterSet(charactersIn: "${}"))
            #expect(!error.description.contains(secret), "\(error.description)")
        }
    }
}
