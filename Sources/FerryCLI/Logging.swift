import Foundation
import Logging

/// swift-log backend writing `ferry: level: message` lines to stderr through `Terminal`.
/// Library code logs only redacted URLs and never headers, so nothing here filters secrets.
struct StderrLogHandler: LogHandler {
    let terminal: Terminal
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        terminal.err("ferry: \(event.level): \(event.message)\n")
    }
}

enum LoggerFactory {
    static func make(level: Logger.Level, terminal: Terminal) -> Logger {
        Logger(label: "ferry") { _ in StderrLogHandler(terminal: terminal, logLevel: level) }
    }
}
