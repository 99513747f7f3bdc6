import FerryCore
import Testing

/// Rule: `--platform` input is normalised; a request without variant matches any variant;
/// arm64 without variant means v8.
@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("Linux/ARM/v7", "linux/arm/v7"),
        ("linux/armhf", "linux/arm/v7"),
        ("windows/amd64", "windows/amd64"),
    ])
    func parses(_ input: String, _ expected: String) throws {
        #expect(try Platform(parsing: input).description == expected)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux/am d64", ""])
    func rejects(_ input: String) {
        #expect(throws: FerryCoreError.self) { try Platform(parsing: input) }
    }

    @Test(arguments: [
        ("linux/arm64", "linux/arm64/v8", true),
        ("linux/arm64/v8", "linux/arm64", true),
        ("linux/arm", "linux/arm/v7", true),
        ("linux/arm/v7", "linux/arm/v6", false),
        ("linux/amd64", "linux/arm64", false),
        ("linux/amd64", "windows/amd64", false),
    ])
    func matches(_ requested: String, _ candidate: String, _ expected: Bool) throws {
        let wanted = try Platform(parsing: requested)
        let parts = candidate.split(separator: "/").map(String.init)
        let child = Platform(os: parts[0], architecture: parts[1], variant: parts.count > 2 ? parts[2] : nil)
        #expect(wanted.matches(child) == expected)
    }
}
