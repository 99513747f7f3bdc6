import FerryCore
import Foundation

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
