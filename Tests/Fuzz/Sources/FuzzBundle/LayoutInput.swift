import FerryCore

/// An archive written as text, so that the fuzzer can change a manifest and keep it reachable:
///
///     #ferry-fuzz-layout
///     --- oci-layout
///     {"imageLayoutVersion":"1.0.0"}
///     --- index.json
///     {"schemaVersion":2,"manifests":[{"mediaType":"…","digest":"{{digest:2}}","size":{{size:2}}}]}
///     --- {{blob}}
///     {…the manifest…}
///
/// Each `--- NAME` line starts a member; its content runs to the next such line. In names and
/// contents, `{{digest:K}}`, `{{hex:K}}` and `{{size:K}}` become the digest, its hex part and
/// the size of member K (counted from 0) once that member's own placeholders are filled in. Only
/// later members can be named (content addresses cannot form a cycle); anything else stays as
/// written. In a name, `{{blob}}` is `blobs/sha256/<hex>` of the member itself and `{{hex}}`
/// its hex (`{{hex}}.json`, a legacy docker-archive config). A name ending in `/` is a
/// directory, and `NAME -> TARGET` is a symbolic link.
struct LayoutInput {
    static let magic = Array("#ferry-fuzz-layout\n".utf8)

    struct Member {
        var name: [UInt8]
        var content: [UInt8]
    }

    var members: [Member]

    /// Nil when `bytes` is not a layout (then it is a tar).
    init?(_ bytes: [UInt8]) {
        guard bytes.starts(with: Self.magic) else { return nil }
        let body = Array(bytes[Self.magic.count...])
        let separator = Array("\n--- ".utf8)
        guard body.starts(with: separator.dropFirst()) else { return nil }
        var sections: [ArraySlice<UInt8>] = []
        var start = separator.count - 1
        var index = start
        while index + separator.count <= body.count {
            if body[index..<(index + separator.count)].elementsEqual(separator) {
                sections.append(body[start..<index])
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        sections.append(body[start...])
        members = sections.map { section in
            let newline = section.firstIndex(of: 0x0a) ?? section.endIndex
            let content = newline < section.endIndex ? Array(section[(newline + 1)...]) : []
            return Member(name: Array(section[..<newline]), content: content)
        }
        // Filled in from the last member back, so every forward reference is final when used.
        var digests = [Digest?](repeating: nil, count: members.count)
        for position in members.indices.reversed() {
            members[position].content = Self.fill(members[position].content, after: position, digests: digests, members: members)
            let digest = DigestHasher.digest(of: members[position].content)
            digests[position] = digest
            members[position].name = Self.fill(members[position].name, after: position, digests: digests, members: members, own: digest)
        }
    }

    /// `text` with its placeholders for members after `position` replaced, and in a name
    /// (`own` given) `{{blob}}` and `{{hex}}` for the member's own digest.
    static func fill(_ text: [UInt8], after position: Int, digests: [Digest?], members: [Member], own: Digest? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == 0x7b, index + 1 < text.count, text[index + 1] == 0x7b,
               let close = text[index...].prefix(24).firstRange(of: [0x7d, 0x7d]) {
                let inside = String(decoding: text[(index + 2)..<close.lowerBound], as: UTF8.self)
                if let own, inside == "blob" || inside == "hex" {
                    out += Array((inside == "blob" ? own.layoutPath : own.hex).utf8)
                    index = close.upperBound
                    continue
                }
                let parts = inside.split(separator: ":")
                if parts.count == 2, let target = Int(parts[1]), target > position, target < members.count,
                   let digest = digests[target] {
                    let value: String?
                    switch parts[0] {
                    case "digest": value = digest.description
                    case "hex": value = digest.hex
                    case "size": value = String(members[target].content.count)
                    default: value = nil
                    }
                    if let value {
                        out += Array(value.utf8)
                        index = close.upperBound
                        continue
                    }
                }
            }
            out.append(text[index])
            index += 1
        }
        return out
    }

    /// The members as a POSIX ustar archive, ended by two zero blocks.
    func tar() -> [UInt8] {
        var archive: [UInt8] = []
        for member in members {
            var name = member.name
            var type = UInt8(ascii: "0")
            var link: [UInt8] = []
            var content = member.content
            if let arrow = name.firstRange(of: Array(" -> ".utf8)) {
                link = Array(name[arrow.upperBound...])
                name = Array(name[..<arrow.lowerBound])
                type = UInt8(ascii: "2")
                content = []
            } else if name.last == 0x2f {
                type = UInt8(ascii: "5")
                content = []
            }
            archive += Self.header(name: name, size: content.count, type: type, link: link)
            archive += content
            archive += [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
        }
        return archive + [UInt8](repeating: 0, count: 1024)
    }

    /// A ustar header; a name too long for the name field is split into prefix and name at a
    /// `/` when it can be, cut otherwise.
    static func header(name: [UInt8], size: Int, type: UInt8, link: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: some Collection<UInt8>, at offset: Int, width: Int) {
            for (i, byte) in bytes.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        var field = name[...]
        if name.count > 100, let slash = name.prefix(156).lastIndex(of: 0x2f), name.count - slash - 1 <= 100 {
            put(name[..<slash], at: 345, width: 155)
            field = name[(slash + 1)...]
        }
        put(field, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(0, width: 12), at: 136, width: 12)
        put([UInt8](repeating: 0x20, count: 8), at: 148, width: 8)
        block[156] = type
        put(link, at: 157, width: 100)
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], at: 148, width: 8)
        return block
    }
}
