import FerryHTTP
import Testing

/// Rule: URLs in logs and errors lose their query string and user info (signed URLs carry
/// credentials there); origins are compared by scheme, host and port.
@Suite struct RedactionTests {
    @Test(arguments: [
        ("https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=k", "https://s3.example/blob?…"),
        ("https://user:pass@reg.example/v2/", "https://reg.example/v2/"),
        ("http://127.0.0.1:5000/v2/a/blobs/sha256:x", "http://127.0.0.1:5000/v2/a/blobs/sha256:x"),
        ("https://cdn.example/p#frag", "https://cdn.example/p"),
    ])
    func redacts(_ url: String, _ expected: String) {
        #expect(URLRedaction.redact(url) == expected)
    }

    @Test(arguments: [
        ("https://a.example/x", "https://a.example/y", true),
        ("https://a.example/x", "https://a.example:443/y", true),
        ("http://127.0.0.1:5000/x", "http://127.0.0.2:5000/x", false),
        ("http://127.0.0.1:5000/x", "http://127.0.0.1:5001/x", false),
        ("https://a.example/x", "http://a.example/x", false),
    ])
    func origins(_ a: String, _ b: String, _ same: Bool) {
        #expect(HTTPClient.sameOrigin(a, b) == same)
    }
}
