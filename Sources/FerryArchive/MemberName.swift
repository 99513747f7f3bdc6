/// Tar member names as ferry reads them (`formats/oci-archive/SPEC.md`): resolved only inside
/// the archive's own namespace, so a hostile archive can never name a path outside it.
public enum MemberName {
    /// The canonical form of `name`: leading `./` prefixes and one trailing `/` removed. Nil for
    /// the archive root itself (`.`, `./`), which readers skip. Names that could leave the
    /// archive or are ambiguous are errors: absolute paths, `..`, `.` or empty components
    /// inside the name, backslashes, NUL bytes.
    public static func normalise(_ name: String) throws(FerryArchiveError) -> String? {
        guard !name.isEmpty else { throw .unsafeMemberName(name, reason: "empty name") }
        guard !name.utf8.contains(0) else { throw .unsafeMemberName(name, reason: "NUL byte") }
        guard !name.hasPrefix("/") else { throw .unsafeMemberName(name, reason: "absolute path") }
        guard !name.contains("\\") else { throw .unsafeMemberName(name, reason: "backslash") }
        var rest = Substring(name)
        while rest.hasPrefix("./") { rest = rest.dropFirst(2) }
        if rest.isEmpty || rest == "." { return nil }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        for component in rest.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "": throw .unsafeMemberName(name, reason: "empty component")
            case ".": throw .unsafeMemberName(name, reason: "'.' component")
            case "..": throw .unsafeMemberName(name, reason: "'..' component")
            default: continue
            }
        }
        return String(rest)
    }
}

extension MemberName {
    /// Resolves a symbolic link member's target inside the archive: relative to the link's own
    /// directory, `..` allowed only while it stays inside (skopeo's `<id>/layer.tar →
    /// ../<diffid>.tar`). Absolute targets and targets above the root are refused.
    public static func resolveLink(member: String, target: String) throws(FerryArchiveError) -> String {
        guard !target.hasPrefix("/") else { throw .unsafeMemberName("\(member) -> \(target)", reason: "absolute link target") }
        var stack = member.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard !stack.isEmpty else { throw .unsafeMemberName("\(member) -> \(target)", reason: "link points outside the archive") }
                stack.removeLast()
            default: stack.append(String(component))
            }
        }
        guard !stack.isEmpty else { throw .unsafeMemberName("\(member) -> \(target)", reason: "link points at the archive root") }
        return stack.joined(separator: "/")
    }
}
