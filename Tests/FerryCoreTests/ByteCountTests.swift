import FerryCore
import Testing

/// Rule (issue 16, item 3): every size and rate option reads units the same way: K/M/G/T are
/// powers of 1000, Ki/Mi/Gi/Ti powers of 1024, an optional B, any case.
@Suite struct ByteCountTests {
    @Test(arguments: [
        ("65536", 65_536), ("1B", 1), ("1K", 1_000), ("1k", 1_000), ("1KB", 1_000), ("700M", 700_000_000),
        ("4.7G", 4_700_000_000), ("2T", 2_000_000_000_000), ("1Ki", 1_024), ("1KiB", 1_024), ("1ki", 1_024),
        ("64Mi", 67_108_864), ("64MiB", 67_108_864), ("4GiB", 4_294_967_296), ("1.5Ki", 1_536), (" 20M ", 20_000_000),
        ("0.5K", 500), ("1.9", 1),
    ] as [(String, Int64)])
    func parses(_ text: String, _ bytes: Int64) {
        #expect(ByteCount.parse(text) == bytes, "\(text)")
    }

    @Test(arguments: ["", "M", "-1M", "0", "0.1", "1e9", "4X", "abc", "1 M", "+5K", "inf", "nan", "1.2.3K", "١٢K"])
    func refuses(_ text: String) {
        #expect(ByteCount.parse(text) == nil, "\(text)")
    }

    @Test(arguments: [(Int64(0), "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1_572_864, "1.5 MiB")])
    func formats(_ bytes: Int64, _ text: String) {
        #expect(ByteCount.format(bytes) == text)
    }
}
