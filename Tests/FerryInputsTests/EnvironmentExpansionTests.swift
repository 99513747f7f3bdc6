import FerryInputs
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

    @Test(arguments: ["${NOT_SET}", "$NOT_SET"])
    func missingVariableIsAnErrorNamingIt(_ value: String) {
        do {
            _ = try EnvironmentExpansion.expand(value, environment: Self.environment, source: "auth.json", key: "quay.io", field: "password")
            Issue.record("expected an error for \(value)")
        } catch {
            guard case .missingVariable(let source, let key, let field, let variable) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(source == "auth.json" && key == "quay.io" && field == "password" && variable == "NOT_SET")
            #expect(error.description.contains("NOT_SET") && error.description.contains("quay.io.password"))
        }
    }
}
