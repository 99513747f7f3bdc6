/// One member of a tar archive that ferry writes.
public struct TarMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory }
    public var name: String
    public var size: Int64
    public var kind: Kind
    /// Permission bits; nil for ferry's defaults (0644 files, 0755 directories). A file
    /// artifact's directory keeps its own (issue 20).
    public var mode: Int?

    public init(name: String, size: Int64, kind: Kind = .file, mode: Int? = nil) {
        self.name = name
        self.size = size
        self.kind = kind
        self.mode = mode
    }
}

/// Encodes tar headers the way ferry writes them (`formats/oci-archive/SPEC.md`): ustar,
/// uid/gid 0, mtime 0, mode 0644 for files and 0755 for directories, so the same content
/// always gives the same bytes. A pax extended header is added only when a field does not fit
/// ustar (a name over 100 bytes that cannot be split, a size of 8 GiB or more).
///
/// ferry writes headers itself instead of through libarchive because the bundle writer plans
/// the whole file first: it must know each header's exact size up front to place every blob
/// at a fixed offset and fill the slots in parallel. libarchive only writes sequentially.
public enum TarHeader {
    public static let blockSize = 512
    /// ustar's 11 octal digits hold sizes below 8 GiB.
    static let maximumUstarSize: Int64 = 0o77777777777

    /// The header bytes (one block, or three or more with a pax header) for `member`.
    public static func encode(_ member: TarMember) throws(FerryArchiveError) -> [UInt8] {
        let name = member.kind == .directory && !member.name.hasSuffix("/") ? member.name + "/" : member.name
        var pax: [(String, String)] = []
        var ustarName = name
        var prefix = ""
        if name.utf8.count > 100 {
            if let split = splitName(name) {
                (prefix, ustarName) = split
            } else {
                pax.append(("path", name))
                ustarName = String(decoding: name.utf8.suffix(99), as: UTF8.self)
            }
        }
        if member.size > maximumUstarSize { pax.append(("size", String(member.size))) }
        var out: [UInt8] = []
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax { records += paxRecord(key, value) }
            let paxName = "PaxHeaders/" + String(decoding: ustarName.utf8.suffix(80), as: UTF8.self)
            out += block(name: paxName, prefix: "", mode: 0o644, size: Int64(records.count), type: UInt8(ascii: "x"))
            out += records
            out += [UInt8](repeating: 0, count: padding(Int64(records.count)))
        }
        let size = member.size > maximumUstarSize ? 0 : member.size
        let mode = member.mode.map { $0 & 0o7777 } ?? (member.kind == .directory ? 0o755 : 0o644)
        let type = member.kind == .directory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        out += block(name: ustarName, prefix: prefix, mode: mode, size: member.kind == .directory ? 0 : size, type: type)
        return out
    }

    /// Zero bytes needed after `size` bytes of data to reach a block boundary.
    public static func padding(_ size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// The end-of-archive marker: two zero blocks.
    public static let endOfArchive = [UInt8](repeating: 0, count: 2 * blockSize)

    /// ustar's prefix/name split at a `/`: prefix ≤ 155 bytes, name ≤ 100 bytes.
    static func splitName(_ name: String) -> (String, String)? {
        let bytes = Array(name.utf8)
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") {
            let prefix = bytes[..<index], rest = bytes[(index + 1)...]
            if prefix.count <= 155 && rest.count <= 100 && !rest.isEmpty {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: rest, as: UTF8.self))
            }
        }
        return nil
    }

    /// `"<length> key=value\n"` where length counts the whole record including itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array("\(length)\(body)".utf8)
    }

    static func block(name: String, prefix: String, mode: Int, size: Int64, type: UInt8) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)          // uid
        octal(0, at: 116, width: 8)          // gid
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)         // mtime
        header[156] = type
        put("ustar", at: 257, width: 6)      // magic "ustar\0"
        put("00", at: 263, width: 2)         // version
        octal(0, at: 329, width: 8)          // devmajor
        octal(0, at: 337, width: 8)          // devminor
        put(prefix, at: 345, width: 155)
        for i in 148..<156 { header[i] = 0x20 }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        header[154] = 0
        header[155] = 0x20
        return header
    }
}
