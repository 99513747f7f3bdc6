import FerryArchive
import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension VerificationInput {
    /// SPEC.md rules 1.1 and 1.5: the metadata members first and in order, then only
    /// `blobs/sha256/<hex>` files.
    static func checkBundleLayout(order: [String], members: [String: Member], directories: Set<String>,
                                          log: inout ProblemLog) {
        let expectedHead = bundlePrefix.filter { members[$0] != nil || directories.contains($0) }
        let head = Array(order.prefix(expectedHead.count))
        if head != expectedHead {
            log.add(.memberOrder, expected: expectedHead.joined(separator: ", "), actual: head.joined(separator: ", "), scope: .none,
                    "a ferry bundle starts with \(expectedHead.joined(separator: ", ")); this one starts with \(head.joined(separator: ", "))")
        }
        for name in order where !bundlePrefix.contains(name) {
            let parts = name.split(separator: "/")
            guard !(parts.count == 3 && parts[0] == "blobs" && parts[1] == "sha256" && members[name] != nil) else { continue }
            log.add(.unexpectedMember, member: name, offset: members[name]?.headerOffset, scope: .none,
                    "member \(name) does not belong in a ferry bundle (only blobs/sha256/<hex> files follow the metadata)")
        }
    }

    /// SPEC.md rule 2.1: ustar, mode 0644 (files) or 0755 (directories), uid/gid 0, empty
    /// owner names, mtime 0. The first few departures are reported one by one, then a count.
    static func checkHeaderConventions(_ scanned: [ScannedTarMember], log: inout ProblemLog) {
        var departures = 0
        for member in scanned {
            guard let fields = member.fields else { continue }
            var wrong: [String] = []
            if !fields.ustar { wrong.append("not a POSIX ustar header") }
            let mode: Int64 = member.kind == .directory ? 0o755 : 0o644
            if fields.mode != mode { wrong.append("mode \(fields.mode.map { String($0, radix: 8) } ?? "?") (not \(String(mode, radix: 8)))") }
            if fields.uid != 0 || fields.gid != 0 { wrong.append("owner \(fields.uid.map(String.init) ?? "?"):\(fields.gid.map(String.init) ?? "?") (not 0:0)") }
            if !fields.uname.isEmpty || !fields.gname.isEmpty { wrong.append("owner names \"\(fields.uname)\"/\"\(fields.gname)\" (not empty)") }
            if fields.mtime != 0 { wrong.append("mtime \(fields.mtime.map(String.init) ?? "?") (not 0)") }
            guard !wrong.isEmpty else { continue }
            departures += 1
            if departures <= 5 {
                log.add(.headerConvention, member: member.name, offset: member.headerOffset, length: Int64(TarHeader.blockSize), scope: .none,
                        "the header of \(member.name) has \(wrong.joined(separator: ", ")); ferry writes ustar, 0644/0755, 0:0, mtime 0 (SPEC.md rule 2.1): the tar was rewritten by another tool")
            }
        }
        if departures > 5 {
            log.add(.headerConvention, scope: .none, "\(departures - 5) more headers depart from SPEC.md rule 2.1")
        }
    }

    /// Offset of the first non-zero byte in `start..<end`, or nil.
    static func firstNonZeroByte(in file: PositionalFile, from start: Int64, to end: Int64) throws -> Int64? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var position = start
        while position < end {
            let n = try chunk.withUnsafeMutableBytes { try file.read(into: $0, at: position) }
            guard n > 0 else { return nil }
            if let index = chunk[..<n].firstIndex(where: { $0 != 0 }) { return position + Int64(index) }
            position += Int64(n)
        }
        return nil
    }
}
