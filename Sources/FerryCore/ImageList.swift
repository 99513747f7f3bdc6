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

    public static func parse(_ text: String, source: String) throws(Problems) -> [ImageReference] {
        var references: [ImageReference] = []
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
            do {
                let reference = try ImageReference(parsing: String(trimmed))
                if seen.insert(reference.description).inserted { references.append(reference) }
            } catch {
                problems.append("\(source):\(number + 1): \(error.description)")
            }
        }
        if !problems.isEmpty { throw Problems(lines: problems) }
        return references
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
