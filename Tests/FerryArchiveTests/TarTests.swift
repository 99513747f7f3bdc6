import FerryArchive
import FerryCore
import Foundation
import FerryTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule: ferry's planned tar is a standard tar (libarchive reads it), its member offsets are
/// exactly where the data lies, and headers are reproducible (uid/gid/mtime 0).
@Suite struct TarTests {
    static func temporaryFile() -> String {
        NSTemporaryDirectory() + "ferry-tar-\(UInt32.random(in: 0...UInt32.max)).tar"
    }

    /// Writes members with a layout and returns the path.
    static func write(_ members: [(TarMember, [UInt8])]) throws -> (String, TarLayout) {
        var layout = TarLayout()
        var slots: [TarLayout.Slot] = []
        for (member, _) in members { slots.append(try layout.append(member)) }
        let path = temporaryFile()
        let file = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        try file.truncate(to: layout.totalSize)
        // Fill in reverse order: a planned layout does not care about write order.
        for (slot, (_, data)) in zip(slots, members).reversed() {
            try file.write(slot.header, at: slot.headerOffset)
            try file.write(data, at: slot.dataOffset)
        }
        try file.write(TarHeader.endOfArchive, at: layout.endOfMembers)
        try file.close()
        return (path, layout)
    }

    @Test(arguments: [
        ["oci-layout"],
        ["blobs/sha256/" + String(repeating: "a", count: 64)],
        // 120-byte name: needs the ustar prefix split.
        [String(repeating: "d", count: 60) + "/" + String(repeating: "f", count: 59)],
        // 150-byte name without a usable split point: needs a pax path record.
        [String(repeating: "x", count: 150)],
    ])
    func libarchiveReadsPlannedTar(_ names: [String]) throws {
        let members = names.enumerated().map { index, name in
            (TarMember(name: name, size: Int64(index * 700 + 3)), [UInt8](repeating: UInt8(65 + index), count: index * 700 + 3))
        } + [(TarMember(name: "dir", size: 0, kind: .directory), [])]
        let (path, layout) = try Self.write(members)
        defer { unlink(path) }

        let reader = try ArchiveReader(path: path)
        var seen: [String] = []
        while let entry = try reader.next() {
            seen.append(entry.name)
            if entry.isRegularFile {
                let expected = members.first { $0.0.name == entry.name }?.1
                #expect(try reader.readAll(limit: 1 << 20) == expected)
            }
        }
        #expect(seen == names + ["dir/"])

        let scanned = try TarScanner(file: PositionalFile(path: path, flags: O_RDONLY)).scan()
        #expect(!scanned.trailingGarbage)
        #expect(scanned.members.map(\.name) == names + ["dir/"])
        #expect(scanned.members.map(\.dataOffset) == layout.slots.map(\.dataOffset))
    }

    /// Sizes of 8 GiB and more do not fit ustar: a pax `size` record carries them.
    @Test func hugeSizeUsesPax() throws {
        let size: Int64 = 9 << 30
        let header = try TarHeader.encode(TarMember(name: "blobs/sha256/big", size: size))
        #expect(header.count == 3 * 512)
        let path = Self.temporaryFile()
        defer { unlink(path) }
        let file = try PositionalFile(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        try file.write(header, at: 0)
        try file.truncate(to: Int64(header.count) + size + 1024)  // sparse
        let scanned = try TarScanner(file: file).scan()
        #expect(scanned.members.first?.size == size)
        #expect(scanned.members.first?.name == "blobs/sha256/big")
    }

    @Test func headersAreReproducible() throws {
        let a = try TarHeader.encode(TarMember(name: "index.json", size: 42))
        let b = try TarHeader.encode(TarMember(name: "index.json", size: 42))
        #expect(a == b)
        // uid, gid and mtime fields are zero.
        #expect(String(decoding: a[108..<115], as: UTF8.self) == "0000000")
        #expect(String(decoding: a[136..<147], as: UTF8.self) == "00000000000")
    }

    /// Rule: the scanner refuses damaged archives instead of guessing.
    @Test func detectsTruncationChecksumAndTrailingGarbage() throws {
        let (path, _) = try Self.write([(TarMember(name: "a", size: 1000), [UInt8](repeating: 1, count: 1000))])
        defer { unlink(path) }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        let truncated = Self.temporaryFile()
        try original.prefix(900).write(to: URL(fileURLWithPath: truncated))
        defer { unlink(truncated) }
        #expect(throws: (any Error).self) { try TarScanner(file: PositionalFile(path: truncated, flags: O_RDONLY)).scan() }

        var damaged = original
        damaged[5] ^= 0xff
        let damagedPath = Self.temporaryFile()
        try damaged.write(to: URL(fileURLWithPath: damagedPath))
        defer { unlink(damagedPath) }
        #expect(throws: FerryArchiveError.self) { try TarScanner(file: PositionalFile(path: damagedPath, flags: O_RDONLY)).scan() }

        let trailing = Self.temporaryFile()
        try (original + Data("garbage".utf8)).write(to: URL(fileURLWithPath: trailing))
        defer { unlink(trailing) }
        #expect(try TarScanner(file: PositionalFile(path: trailing, flags: O_RDONLY)).scan().trailingGarbage)
    }

    /// Rule (issue 15, item 14): a tar cut inside its end-of-archive marker (the last 1–512
    /// bytes, or the whole second zero block) is truncated; the full marker is not.
    @Test(arguments: [512, 513, 1023, 1024])
    func cutInsideTheEndMarkerIsTruncation(_ keep: Int) throws {
        let (path, layout) = try Self.write([(TarMember(name: "oci-layout", size: 5), Array("hello".utf8))])
        defer { unlink(path) }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = Self.temporaryFile()
        try original.prefix(Int(layout.endOfMembers) + keep).write(to: URL(fileURLWithPath: cut))
        defer { unlink(cut) }
        let scanner = TarScanner(file: try PositionalFile(path: cut, flags: O_RDONLY))
        if keep == 1024 {
            #expect(try scanner.scan().members.map(\.name) == ["oci-layout"])
        } else {
            #expect(throws: FerryArchiveError.self) { _ = try scanner.scan() }
        }
    }

    /// The spec's example bundle: its content index offsets point at the blob data.
    @Test func exampleBundleOffsetsMatchContentIndex() throws {
        let path = Fixtures.url("ferry-bundle/examples/bundle.tar").path
        let file = try PositionalFile(path: path, flags: O_RDONLY)
        let scanned = try TarScanner(file: file).scan()
        struct Index: Decodable { struct Blob: Decodable { var digest: String; var size: Int64; var offset: Int64 }; var blobs: [Blob] }
        let index = try JSONDecoder().decode(Index.self, from: Data(try Fixtures.bytes("ferry-bundle/examples/ferry-index.json")))
        #expect(!index.blobs.isEmpty)
        for blob in index.blobs {
            let member = scanned.members.first { $0.name == "blobs/sha256/" + blob.digest.dropFirst("sha256:".count) }
            #expect(member?.dataOffset == blob.offset, "\(blob.digest)")
            #expect(member?.size == blob.size)
            var data = [UInt8](repeating: 0, count: Int(blob.size))
            let n = try data.withUnsafeMutableBytes { try file.read(into: $0, at: blob.offset) }
            #expect(n == Int(blob.size))
            #expect(DigestHasher.digest(of: data).description == blob.digest)
        }
        // members.txt: header-offset, data-offset, size, name of every member in order.
        let expected = try Fixtures.tsv("ferry-bundle/examples/members.txt")
        #expect(scanned.members.count == expected.count)
        for (member, row) in zip(scanned.members, expected) {
            #expect(row.count == 4)
            #expect([String(member.headerOffset), String(member.dataOffset), String(member.size), member.name] == row)
        }
    }
}
