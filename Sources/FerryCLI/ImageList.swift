import FerryCore
import Foundation

/// Reads an image list file (or `-` for stdin) for `-f`; parsing is `FerryCore.ImageList`.
enum ImageListFile {
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
        do {
            return try ImageList.parse(text, source: path == "-" ? "stdin" : path)
        } catch {
            throw InputError.lines(error.lines)
        }
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
