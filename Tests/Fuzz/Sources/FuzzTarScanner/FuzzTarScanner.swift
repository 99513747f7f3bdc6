// The tar scanner (FerryArchive `TarScanner`) and the in-place tar index built on it
// (FerryFormat `TarBlobStore`): every import, verify and inspect of an uncompressed bundle
// starts here, on bytes anyone may have written (issue 15, items 3 and 14).
import FerryArchive
import FerryFormat
import FerryCore
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTarScanner(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzFile.shared
    input.write(Fuzz.bytes(start, count))
    guard let file = Fuzz.refusing({ try PositionalFile(path: input.path, flags: O_RDONLY) }) else {
        fatalError("fuzz: cannot open \(input.path)")
    }
    let size = Int64(count)
    let strict = Fuzz.refusing { try TarScanner(file: file).scan() }
    let lenient = Fuzz.refusing { try TarScanner(file: file).scanAllowingDamage() }

    // What the scanner promises about every member it returns, damaged archive or not: its data
    // lies inside the file, after its own header, and members come in file order (a size that
    // moved the offset backwards or past the end is refused, issue 15 item 3).
    if let lenient {
        var previousEnd: Int64 = 0
        for member in lenient.members {
            Fuzz.check(member.size >= 0, "negative size \(member.size) for \(member.name)")
            Fuzz.check(member.headerOffset >= previousEnd, "member \(member.name) at \(member.headerOffset) overlaps the one before (ends \(previousEnd))")
            Fuzz.check(member.dataOffset >= member.headerOffset + 512, "data of \(member.name) starts inside its header")
            Fuzz.check(member.dataOffset <= size && member.size <= size - member.dataOffset,
                       "member \(member.name) (\(member.dataOffset)+\(member.size)) reaches past the end (\(size))")
            previousEnd = member.dataOffset + member.size
        }
    }
    // The lenient scan is the strict one that keeps going: where the strict scan succeeds, both
    // see the same archive.
    if let strict {
        Fuzz.check(lenient != nil, "scan() succeeded but scanAllowingDamage() threw")
        if let lenient {
            Fuzz.check(lenient.damage == nil, "scan() succeeded but scanAllowingDamage() found \(String(describing: lenient.damage))")
            Fuzz.check(lenient.members == strict.members && lenient.trailingGarbage == strict.trailingGarbage,
                       "scan() and scanAllowingDamage() disagree")
        }
    }

    // Member names and links, as import reads them: what normalise returns is canonical, and a
    // resolved link never leaves the archive.
    for member in lenient?.members ?? [] {
        if let name = Fuzz.refusing({ try MemberName.normalise(member.name) }), let name {
            Fuzz.check(Fuzz.refusing { try MemberName.normalise(name) } == .some(name), "normalise(\(name.debugDescription)) is not canonical")
            Fuzz.check(!name.utf8.starts(with: [0x2f]) && !name.split(separator: "/").contains(".."),
                       "normalise(\(member.name.debugDescription)) = \(name.debugDescription) escapes the archive")
            if let target = member.linkTarget, let resolved = Fuzz.refusing({ try MemberName.resolveLink(member: name, target: target) }) {
                Fuzz.check(!resolved.split(separator: "/").contains(".."), "link \(name) -> \(target) resolves outside: \(resolved)")
            }
        }
    }

    // The index import and verify use: names, duplicates, blob digests, index.json.
    if let store = Fuzz.refusing({ try TarBlobStore(file: file, displayName: input.path) }) {
        Fuzz.refusing { try store.indexJSON() }
    }
    Fuzz.refusing { try file.close() }
    return 0
}
