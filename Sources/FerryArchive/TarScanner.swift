public import FerryCore

/// A member found by `TarScanner`: its resolved name, type, and where its data lies.
public struct ScannedTarMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, hardlink, other(UInt8) }
    public var name: String
    public var kind: Kind
    public var size: Int64
    public var headerOffset: Int64
    public var dataOffset: Int64
    public var linkTarget: String?
    /// The ustar fields a writer chooses freely (ferry fixes them, ferry-bundle SPEC.md rule
    /// 2.1): read for a conventions check, never used to locate data.
    public var fields: HeaderFields? = nil
}

/// Mode, owner and time fields of a tar header, and whether it is POSIX ustar (`ustar\0`,
/// version `00`). A field that is not a number is nil.
public struct HeaderFields: Sendable, Equatable {
    public var ustar: Bool
    public var mode: Int64?
    public var uid: Int64?
    public var gid: Int64?
    public var mtime: Int64?
    public var uname: String
    public var gname: String
}

/// Reads the member table of an UNCOMPRESSED tar straight from its headers, with byte offsets.
///
/// This is how a seekable bundle is indexed in one pass without extracting it: each member's
/// data can then be read in place (`pread`) and in parallel. Understands ustar, pax (`x`,
/// `g`) and GNU long names (`L`, `K`); verifies every header checksum; reports trailing
/// non-zero bytes after the end-of-archive marker.
public struct TarScanner {
    public let file: PositionalFile

    public init(file: PositionalFile) { self.file = file }

    /// All members in order, and whether non-zero bytes follow the end-of-archive marker.
    /// A truncated archive or a damaged header is an error.
    public func scan() throws -> (members: [ScannedTarMember], trailingGarbage: Bool) {
        var members: [ScannedTarMember] = []
        let trailing = try scan(into: &members)
        return (members, trailing)
    }

    /// Like `scan()`, but a truncated archive or a damaged header ends the listing instead of
    /// failing it: the members read before the damage are returned with the damage, so a
    /// verifier can still check them and name what is lost.
    public func scanAllowingDamage() throws -> (members: [ScannedTarMember], trailingGarbage: Bool, damage: FerryArchiveError?) {
        var members: [ScannedTarMember] = []
        do {
            let trailing = try scan(into: &members)
            return (members, trailing, nil)
        } catch let damage as FerryArchiveError {
            return (members, false, damage)
        }
    }

    private func scan(into members: inout [ScannedTarMember]) throws -> Bool {
        let fileSize = try file.size()
        var offset: Int64 = 0
        var pendingPath: String?
        var pendingLink: String?
        var pendingSize: Int64?
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        while true {
            guard offset + Int64(TarHeader.blockSize) <= fileSize else {
                throw FerryArchiveError.truncated(path: file.path, member: nil)
            }
            try readFully(&block, at: offset)
            if block.allSatisfy({ $0 == 0 }) {
                // The end-of-archive marker is two zero blocks. A file that stops inside the
                // second was cut, and a cut bundle must be reported (issue 15, item 14).
                guard Int64(2 * TarHeader.blockSize) <= fileSize - offset else {
                    throw FerryArchiveError.truncated(path: file.path, member: nil)
                }
                return try hasNonZero(from: offset + Int64(TarHeader.blockSize), to: fileSize)
            }
            try verifyChecksum(block, at: offset)
            let type = block[156]
            var size = try parseNumber(block[124..<136], at: offset)
            if let pendingSize { size = pendingSize }
            let dataOffset = offset + Int64(TarHeader.blockSize)
            // Every size is checked before it moves the offset: a negative one would walk
            // backwards forever, and one near 2^63 would overflow the sum (issue 15, item 3).
            // Both operands are non-negative here, so the subtraction cannot overflow.
            guard size >= 0 else {
                throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "negative size \(size)")
            }
            guard size <= fileSize - dataOffset else {
                throw FerryArchiveError.truncated(path: file.path, member: pendingPath ?? Self.string(block[0..<100]))
            }
            let next = dataOffset + size + Int64(TarHeader.padding(size))
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try readData(at: dataOffset, size: size, limit: 1 << 20, header: offset)
                if type == UInt8(ascii: "x") {
                    for (key, value) in Self.paxRecords(records) {
                        switch key {
                        case "path": pendingPath = value
                        case "linkpath": pendingLink = value
                        case "size": pendingSize = try paxSize(value, at: offset)
                        default: break
                        }
                    }
                }
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                let data = try readData(at: dataOffset, size: size, limit: 1 << 20, header: offset)
                let text = Self.string(data[...])
                if type == UInt8(ascii: "L") { pendingPath = text } else { pendingLink = text }
            default:
                var name = Self.string(block[0..<100])
                let magic = Self.string(block[257..<262])
                if pendingPath == nil && magic == "ustar" {
                    let prefix = Self.string(block[345..<500])
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                let kind: ScannedTarMember.Kind
                switch type {
                case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
                case UInt8(ascii: "5"): kind = .directory
                case UInt8(ascii: "2"): kind = .symlink
                case UInt8(ascii: "1"): kind = .hardlink
                default: kind = .other(type)
                }
                let link = pendingLink ?? (kind == .symlink || kind == .hardlink ? Self.string(block[157..<257]) : nil)
                var member = ScannedTarMember(name: pendingPath ?? name, kind: kind,
                                              size: kind == .file ? size : 0, headerOffset: offset,
                                              dataOffset: dataOffset, linkTarget: link)
                member.fields = HeaderFields(ustar: block[257..<263].elementsEqual(Array("ustar\0".utf8)) && block[263..<265].elementsEqual(Array("00".utf8)),
                                             mode: optionalNumber(block[100..<108], at: offset), uid: optionalNumber(block[108..<116], at: offset),
                                             gid: optionalNumber(block[116..<124], at: offset), mtime: optionalNumber(block[136..<148], at: offset),
                                             uname: Self.string(block[265..<297]), gname: Self.string(block[297..<329]))
                members.append(member)
                pendingPath = nil
                pendingLink = nil
                pendingSize = nil
            }
            offset = next
        }
    }

    private func readFully(_ buffer: inout [UInt8], at offset: Int64) throws {
        let count = buffer.count
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]), at: offset + Int64(done))
                guard n > 0 else { throw FerryArchiveError.truncated(path: file.path, member: nil) }
                done += n
            }
        }
    }

    private func readData(at offset: Int64, size: Int64, limit: Int64, header: Int64) throws -> [UInt8] {
        guard size <= limit else {
            throw FerryArchiveError.malformedHeader(path: file.path, offset: header, reason: "extended header of \(size) bytes")
        }
        var data = [UInt8](repeating: 0, count: Int(size))
        try readFully(&data, at: offset)
        return data
    }

    private func hasNonZero(from offset: Int64, to end: Int64) throws -> Bool {
        var position = offset
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while position < end {
            let n = try chunk.withUnsafeMutableBytes { try file.read(into: $0, at: position) }
            guard n > 0 else { break }
            if chunk[..<n].contains(where: { $0 != 0 }) { return true }
            position += Int64(n)
        }
        return false
    }

    private func verifyChecksum(_ block: [UInt8], at offset: Int64) throws {
        let stored = try parseNumber(block[148..<156], at: offset)
        var sum: Int64 = 0
        for (i, byte) in block.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int64(byte) }
        guard sum == stored else {
            throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "checksum \(stored) does not match \(sum)")
        }
    }

    /// A field that only a conventions check reads: not a number is reported as nil, because
    /// a strange mode or mtime must not stop the listing (the data is located without it).
    private func optionalNumber(_ field: ArraySlice<UInt8>, at offset: Int64) -> Int64? {
        do {
            return try parseNumber(field, at: offset)
        } catch {
            return nil
        }
    }

    /// A pax `size` record: decimal digits only (no sign, no spaces), within Int64.
    private func paxSize(_ text: String, at offset: Int64) throws -> Int64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let size = Int64(text) else {
            throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "pax size \"\(text.prefix(40))\" is not a size")
        }
        return size
    }

    /// Octal (NUL/space terminated) or GNU base-256 (high bit set) numbers. Base-256 with the
    /// sign bit set (first byte 0xff) is a negative number, which no field ferry reads may hold.
    private func parseNumber(_ field: ArraySlice<UInt8>, at offset: Int64) throws -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            guard first & 0x40 == 0 else {
                throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "negative base-256 number")
            }
            var value: Int64 = Int64(first & 0x3f)
            for byte in field.dropFirst() {
                guard value < (Int64.max >> 8) else {
                    throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "number out of range")
                }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == 0x20 { if seenDigit { break } else { continue } }
            guard byte >= 0x30 && byte <= 0x37, value < (Int64.max >> 3) else {
                throw FerryArchiveError.malformedHeader(path: file.path, offset: offset, reason: "bad octal number")
            }
            value = value * 8 + Int64(byte - 0x30)
            seenDigit = true
        }
        return value
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func paxRecords(_ data: [UInt8]) -> [(String, String)] {
        var records: [(String, String)] = []
        var index = 0
        while index < data.count {
            // The length counts the whole record ("LEN key=value\n"), so it must reach past the
            // space and fit in what is left; checked without overflow.
            guard let space = data[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length > space - index + 1, length <= data.count - index else { break }
            let record = data[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records.append((String(decoding: record[..<equals], as: UTF8.self),
                                String(decoding: record[(equals + 1)...], as: UTF8.self)))
            }
            index += length
        }
        return records
    }
}
