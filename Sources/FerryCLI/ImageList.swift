import ArgumentParser
import FerryCore
import Foundation

/// Reads an image list (`formats/image-list/SPEC.md`): one reference per line, `#` comments
/// (whole line, or after whitespace), blank lines ignored, `-` for standard input. Every bad
/// line is reported at once with its line number, before any network traffic.
enum ImageList {
    static func read(path: String) throws -> [ImageReference] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw InputError.file(path: path, reason: "cannot read the file")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError.file(path: path, reason: "is not UTF-8 text")
        }
        return try parse(text, source: path == "-" ? "stdin" : path)
    }

    static func parse(_ text: String, source: String) throws -> [ImageReference] {
        var references: [ImageReference] = []
        var problems: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if let hash = line.firstIndex(of: "#"), hash == line.startIndex || line[line.index(before: hash)].isWhitespace {
                line = line[..<hash]
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                references.append(try ImageReference(parsing: trimmed))
            } catch {
                problems.append("\(source):\(number + 1): \(error.description)")
            }
        }
        if !problems.isEmpty { throw InputError.lines(problems) }
        return references
    }
}

/// Bad user input detected before any work starts (exit code 65).
enum InputError: Error, CustomStringConvertible {
    case file(path: String, reason: String)
    case lines([String])

    var description: String {
        switch self {
        case .file(let path, let reason): return "\(path): \(reason)"
        case .lines(let lines): return lines.joined(separator: "\n")
        }
    }
}
