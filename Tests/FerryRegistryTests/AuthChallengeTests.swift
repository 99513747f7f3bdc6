import FerryRegistry
import Testing

/// Rule: WWW-Authenticate headers are parsed per RFC 7235, as registries send them.
@Suite struct AuthChallengeTests {
    @Test(arguments: [
        (#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
         [AuthChallenge(scheme: "Bearer", parameters: ["realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                                                       "scope": "repository:library/nginx:pull"])]),
        (#"Basic realm="Registry Realm""#, [AuthChallenge(scheme: "Basic", parameters: ["realm": "Registry Realm"])]),
        (#"bearer Realm=http://127.0.0.1:9/token, Service=svc"#,
         [AuthChallenge(scheme: "bearer", parameters: ["realm": "http://127.0.0.1:9/token", "service": "svc"])]),
        (#"Basic realm="a\"b", Bearer realm="https://x/t",scope="repository:a:pull,push""#,
         [AuthChallenge(scheme: "Basic", parameters: ["realm": "a\"b"]),
          AuthChallenge(scheme: "Bearer", parameters: ["realm": "https://x/t", "scope": "repository:a:pull,push"])]),
        ("Negotiate", [AuthChallenge(scheme: "Negotiate", parameters: [:])]),
        ("", []),
    ])
    func parses(_ header: String, _ expected: [AuthChallenge]) {
        #expect(AuthChallenge.parse(header) == expected)
    }

    /// Garbage never crashes the parser (a property over generated inputs, fixed seed).
    @Test func survivesGeneratedGarbage() {
        var generator = SplitMix64(seed: 0xfe22)
        let alphabet = Array(#"Bearer Basic realm=",\ scope service =,,"" abc/:"#)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 60)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            _ = AuthChallenge.parse(text)
        }
    }
}

/// A small seeded generator for reproducible generated inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
