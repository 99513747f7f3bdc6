// `WWW-Authenticate` headers (FerryRegistry `AuthChallenge`): a registry, or anything that
// answers in its place, chooses them, and ferry reads the realm it fetches a token from out of
// them (issue 15, item 2).
import FerryRegistry
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuthChallenge(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let header = Fuzz.text(Fuzz.bytes(start, count))
    let challenges = AuthChallenge.parse(header)
    // Each challenge consumes at least its scheme, and names are stored lowercased.
    Fuzz.check(challenges.count <= header.utf8.count, "\(challenges.count) challenges from \(header.utf8.count) bytes")
    for challenge in challenges {
        Fuzz.check(!challenge.scheme.isEmpty, "a challenge without a scheme")
        Fuzz.check(challenge.parameters.keys.allSatisfy { $0 == $0.lowercased() }, "a parameter name is not lowercased")
    }
    return 0
}
