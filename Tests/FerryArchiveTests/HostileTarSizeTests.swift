import FerryArchive
import FerryCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 15, item 3): no size in a tar header, ustar field or pax record, can make the
/// scanner loop, trap or read past the input. A negative size, one that reaches past the end of
/// the file, or one near 2^63 is a `FerryArchiveError` naming the header. Before the fix, a
/// negative pax size looped forever and the large ones trapped (exit 132).
@Suite struct HostileTarSizeTests {
    /// One 512-byte header with a valid checksum; `size` is the raw 12-byte size field.
    static func header(_ name: String, type: Character, size: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        for (index, byte) in name.utf8.prefix(100).enumerated() { block[index] = byte }
        for (index, byte) in "0000644\0".utf8.enumerated() { block[100 + index] = byte }
        block.replaceSubrange(124..<136, with: size.prefix(12) + [UInt8](repeating: 0, count: max(0, 12 - size.count)))
        block[156] = type.asciiValue ?? UInt8(ascii: "0")
        for (index, byte) in "ustar\u{0}00".utf8.enumerated() { block[257 + index] = byte }
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        let checksum = Array(String(format: "%06o\u{0} ", sum).utf8)
        block.replaceSubrange(148..<156, with: checksum)
        return block
    }

    static func octal(_ value: Int) -> [UInt8] { Array(String(format: "%011o\u{0}", value).utf8) }

    /// A pax extended header whose data is `records`, padded to a block.
    static func pax(_ records: String) -> [UInt8] {
        let data = Array(records.utf8)
        return header("PaxHeader", type: "x", size: octal(data.count)) + data
            + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    static func file(_ name: String, size: [UInt8], data: Int = 0) -> [UInt8] {
        header(name, type: "0", size: size) + [UInt8](repeating: 0x41, count: data)
            + [UInt8](repeating: 0, count: (512 - data % 512) % 512)
    }

    static let end = [UInt8](repeating: 0, count: 1024)

    /// "LEN key=value\n" with LEN counting itself.
    static func record(_ key: String, _ value: String) -> String {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return "\(length)\(body)"
    }

    static let cases: [(String, [UInt8])] = [
        ("negative pax size", pax(record("size", "-1024")) + file("a", size: octal(0)) + end),
        ("negative pax size before another extended header",
         pax(record("size", "-512")) + pax(record("path", "b")) + file("a", size: octal(0)) + end),
        ("pax size near 2^63", pax(record("size", "9223372036854775000")) + file("a", size: octal(0)) + end),
        ("pax size past Int64", pax(record("size", "99999999999999999999")) + file("a", size: octal(0)) + end),
        ("pax size with a sign", pax(record("size", "+5")) + file("a", size: octal(0)) + end),
        ("pax size past the end of the file", pax(record("size", "4096")) + file("a", size: octal(0)) + end),
        ("base-256 size 0x7ffffffffffffeff",
         file("a", size: [0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff]) + end),
        ("negative base-256 size", file("a", size: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x00]) + end),
        ("octal size past the end of the file", file("a", size: octal(1 << 30)) + end),
    ]

    @Test(arguments: cases.map(\.0))
    func hostileSizeIsAnError(_ name: String) throws {
        let bytes = try #require(Self.cases.first { $0.0 == name }?.1)
        let path = NSTemporaryDirectory() + "ferry-hostile-size-\(UUID().uuidString).tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let scanner = TarScanner(file: try PositionalFile(path: path, flags: O_RDONLY))
        #expect(throws: FerryArchiveError.self) { _ = try scanner.scan() }
        let allowing = try scanner.scanAllowingDamage()
        #expect(allowing.damage != nil)
    }

    /// Pax records whose length field is too small to hold the record, or so large that adding
    /// it to the position would overflow, are ignored, not sliced (which trapped before).
    @Test(arguments: ["1 ", "2 x", "9223372036854775807 size=1\n", "3 =\n"])
    func malformedPaxRecordLengthIsIgnored(_ records: String) throws {
        let bytes = Self.pax(records) + Self.file("a", size: Self.octal(3), data: 3) + Self.end
        let path = NSTemporaryDirectory() + "ferry-hostile-pax-\(UUID().uuidString).tar"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let members = try TarScanner(file: try PositionalFile(path: path, flags: O_RDONLY)).scan().members
        #expect(members.map(\.name) == ["a"])
        #expect(members.first?.size == 3)
    }
}
