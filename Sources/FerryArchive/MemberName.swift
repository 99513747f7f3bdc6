/// Tar member names as ferry reads them (`formats/oci-archive/SPEC.md`): resolved only inside
/// the archive's own namespace, so a hostile archive can never name a path outside it.
///
/// Names are examined as UTF-8 bytes, the way a file system sees them, never as Swift
/// `Character`s: a combining mark after `/` (`"../\u{301}etc"`) makes `"/\u{301}"` one
/// `Character`, which hid the separator from `split(separator: "/")` and `hasPrefix("/")` and
/// let `..` and absolute names through (found by `MemberNamePropertyTests`, issue 7).
public enum MemberName {
    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")
    private static let backslash = UInt8(ascii: "\\")

    /// The canonical form of `name`: leading `./` prefixes and one trailing `/` removed. Nil for
    /// the archive root itself (`.`, `./`), which readers skip. Names that could leave the
    /// archive or are ambiguous are errors: absolute paths, `..`, `.` or empty components
    /// inside the name, backslashes, NUL bytes.
    public static func normalise(_ name: String) throws(FerryArchiveError) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw .unsafeMemberName(name, reason: "empty name") }
        guard !bytes.contains(0) else { throw .unsafeMemberName(name, reason: "NUL byte") }
        guard bytes.first != slash else { throw .unsafeMemberName(name, reason: "absolute path") }
        guard !bytes.contains(backslash) else { throw .unsafeMemberName(name, reason: "backslash") }
        var rest = bytes[...]
        while rest.starts(with: [dot, slash]) { rest = rest.dropFirst(2) }
        if rest.isEmpty || rest.elementsEqual([dot]) { return nil }
        if rest.last == slash { rest = rest.dropLast() }
        for component in rest.split(separator: slash, omittingEmptySubsequences: false) {
            if component.isEmpty { throw .unsafeMemberName(name, reason: "empty component") }
            if component.elementsEqual([dot]) { throw .unsafeMemberName(name, reason: "'.' component") }
            if component.elementsEqual([dot, dot]) { throw .unsafeMemberName(name, reason: "'..' component") }
        }
        // Cut only at ASCII bytes, so the rest is still valid UTF-8.
        return String(decoding: rest, as: UTF8.self)
    }
}

extension MemberName {
    /// Resolves a symbolic link member's target inside the archive: relative to the link's own
    /// directory, `..` allowed only while it stays inside (skopeo's `<id>/layer.tar →
    /// ../<diffid>.tar`). Empty and absolute targets, targets above the root and targets with
    /// NUL or backslash are refused; the result is always a name `normalise` returns unchanged.
    public static func resolveLink(member: String, target: String) throws(FerryArchiveError) -> String {
        let link = "\(member) -> \(target)"
        let bytes = Array(target.utf8)
        guard !bytes.isEmpty else { throw .unsafeMemberName(link, reason: "empty link target") }
        guard bytes.first != slash else { throw .unsafeMemberName(link, reason: "absolute link target") }
        guard !bytes.contains(0) else { throw .unsafeMemberName(link, reason: "NUL byte in link target") }
        guard !bytes.contains(backslash) else { throw .unsafeMemberName(link, reason: "backslash in link target") }
        var stack = Array(member.utf8).split(separator: slash).dropLast().map { Array($0) }
        for component in bytes.split(separator: slash, omittingEmptySubsequences: true) {
            if component.elementsEqual([dot]) { continue }
            if component.elementsEqual([dot, dot]) {
                guard !stack.isEmpty else { throw .unsafeMemberName(link, reason: "link points outside the archive") }
                stack.removeLast()
            } else {
                stack.append(Array(component))
            }
        }
        guard !stack.isEmpty else { throw .unsafeMemberName(link, reason: "link points at the archive root") }
        let resolved = String(decoding: Array(stack.joined(separator: [slash])), as: UTF8.self)
        // The member name came from the caller: whatever it held, the result obeys the name rules.
        guard try normalise(resolved) == resolved else {
            throw .unsafeMemberName(link, reason: "resolves to the non-canonical name \(resolved)")
        }
        return resolved
    }
}
