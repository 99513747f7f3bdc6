import FerryRegistry
import FerryTestSupport
import Testing

/// Properties of the WWW-Authenticate parser (RFC 7235 §4.1) over generated headers, fixed
/// seeds (issue 7, fuzzing). A registry, or anything between ferry and it, writes this header,
/// so it is hostile input: it must never crash or hang the client, and a well-formed header
/// must mean exactly what it says (the realm decides where credentials go).
@Suite struct AuthChallengePropertyTests {
    static let iterations = 3000

    static let seeds = [
        #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        #"Basic realm="Registry Realm""#,
        #"bearer Realm=http://127.0.0.1:9/token, Service=svc"#,
        #"Basic realm="a\"b", Bearer realm="https://x/t",scope="repository:a:pull,push""#,
        #"Negotiate, Bearer realm="https://h/token?x=1&y=2",error="invalid_token",error_description="expired \\ \"now\"""#,
        #"Bearer realm = "https://h/t" , service = "s""#,
    ]

    /// A token as the parser reads one: visible ASCII except the separators it splits on
    /// (`,`, `=`, `"`); RFC 7230's `tchar` plus `/` and `:` seen in unquoted realms.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != 0x2c && $0 != 0x3d && $0 != 0x22 }
    }

    /// Property: mutated headers never crash the parser, give at most one challenge per
    /// scheme-like word, and every scheme and parameter name it reports is a non-empty token
    /// (parameter names lowercased), so nothing unparsed leaks into a name.
    @Test func mutatedHeadersGiveOnlyWellFormedChallenges() {
        var mutator = SeededMutator(seed: 0xa07c)
        var nonEmpty = 0
        for iteration in 0..<Self.iterations {
            let header = mutator.mutate(Self.seeds[iteration % Self.seeds.count], maximumEdits: 6)
            let challenges = AuthChallenge.parse(header)
            if !challenges.isEmpty { nonEmpty += 1 }
            #expect(challenges.count <= header.utf8.count / 2 + 1)
            for challenge in challenges {
                #expect(Self.isToken(challenge.scheme), "scheme \(challenge.scheme.debugDescription) from \(header.debugDescription)")
                for name in challenge.parameters.keys {
                    #expect(Self.isToken(name) && name == name.lowercased(), "name \(name.debugDescription) from \(header.debugDescription)")
                }
            }
            #expect(AuthChallenge.parse(header) == challenges, "not deterministic on \(header.debugDescription)")
        }
        #expect(nonEmpty > Self.iterations / 2, "most mutants still carry a challenge: \(nonEmpty)")
    }

    /// Property: a header rendered from challenges (quoted values with `\"` and `\\` escapes,
    /// commas and `=` inside quotes, token values unquoted, optional spaces) parses back to
    /// exactly those challenges.
    @Test func renderedChallengesParseBack() {
        var random = SeededRandom(seed: 0x5e7)
        let schemes = ["Bearer", "Basic", "Digest", "Negotiate", "bearer", "X-Custom"]
        let names = ["realm", "service", "scope", "error", "error_description", "charset", "nonce"]
        let valuePieces = ["https://auth.example.com/token", "repository:a/b:pull,push", "a\"b", "back\\slash", ", ", "=",
                           "ü", " ", "registry.docker.io", "?x=1&y=2", "", "😀", "tab\there"]
        for _ in 0..<Self.iterations {
            var expected: [AuthChallenge] = []
            var header = ""
            for index in 0..<(1 + random.below(3)) {
                let scheme = random.pick(schemes)
                var parameters: [String: String] = [:]
                var rendered: [String] = []
                for name in names.shuffled(using: &random).prefix(random.below(4)) {
                    let value = (0..<random.below(4)).map { _ in random.pick(valuePieces) }.joined()
                    parameters[name] = value
                    let written = random.below(2) == 0 ? name : name.uppercased()
                    let space = random.below(3) == 0 ? " " : ""
                    if Self.isToken(value) && random.below(2) == 0 {
                        rendered.append("\(written)\(space)=\(space)\(value)")
                    } else {
                        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                        rendered.append("\(written)\(space)=\(space)\"\(escaped)\"")
                    }
                }
                // A scheme with no parameters followed by another challenge needs the comma.
                header += (index == 0 ? "" : random.below(2) == 0 ? ", " : ",") + scheme
                    + (rendered.isEmpty ? "" : " " + rendered.joined(separator: random.below(2) == 0 ? ", " : ","))
                expected.append(AuthChallenge(scheme: scheme, parameters: parameters))
            }
            #expect(AuthChallenge.parse(header) == expected, "\(header.debugDescription)")
        }
    }
}
