/// An image list (`formats/image-list/SPEC.md`): one reference per line, `#` comments (a whole
/// line, or after whitespace), blank lines ignored, CRLF accepted, duplicates (after
/// normalisation) dropped. Every bad line is reported at once, with its line number, before
/// any network traffic.
public enum ImageList {
    /// Problems found in a list, one `source:line: reason` each.
    public struct Problems: Error, Sendable, CustomStringConvertible {
        public let lines: [String]
        public var description: String { lines.joined(separator: "\n") }
    }

    /// What a list holds: image references, and for `ferry export` the `chart:` and `file:`
    /// lines (issue 20), kept as written (with their line for messages) for the modules that
    /// read charts and files.
    public struct Entries: Sendable {
        public var references: [ImageReference] = []
        public var charts: [(line: Int, text: String)] = []
        public var files: [(line: Int, text: String)] = []
    }

    /// A list of images only: `chart:` and `file:` lines are refused.
    public static func parse(_ text: String, source: String) throws(Problems) -> [ImageReference] {
        let entries = try parseEntries(text, source: source)
        let extra = entries.charts.map { ($0.line, "chart") } + entries.files.map { ($0.line, "file") }
        if !extra.isEmpty {
            throw Problems(lines: extra.sorted { $0.0 < $1.0 }.map { "\(source):\($0.0): \($0.1): lines are for ferry export; this list takes images only" })
        }
        return entries.references
    }

    /// References, charts and files. `chart: URL` and `file: PATH[=NAME[:TAG]]` lines are
    /// returned as written; checking them is the caller's (they need modules above this one).
    public static func parseEntries(_ text: String, source: String) throws(Problems) -> Entries {
        var entries = Entries()
        var seen = Set<String>()
        var problems: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if let hash = line.firstIndex(of: "#"), hash == line.startIndex || line[line.index(before: hash)].isWhitespace {
                line = line[..<hash]
            }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            if let value = Self.value(of: trimmed, key: "chart:") {
                entries.charts.append((number + 1, value))
                continue
            }
            if let value = Self.value(of: trimmed, key: "file:") {
                entries.files.append((number + 1, value))
                continue
            }
            do {
                let reference = try ImageReference(parsing: String(trimmed))
                if seen.insert(reference.description).inserted { entries.references.append(reference) }
            } catch {
                problems.append("\(source):\(number + 1): \(error.description)")
            }
        }
        if !problems.isEmpty { throw Problems(lines: problems) }
        return entries
    }

    /// The text after `key` when the line starts with it and white space follows: `file:5.45`
    /// stays an image (Docker Hub's `library/file`), `file: a.bin` is a file.
    private static func value(of line: Substring, key: String) -> String? {
        guard line.hasPrefix(key), let next = line.dropFirst(key.count).first, next == " " || next == "\t" else { return nil }
        return String(line.dropFirst(key.count).trimmingWhitespace())
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var slice = self
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return slice
    }
}
