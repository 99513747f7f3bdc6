import ArgumentParser
import FerryCore
import FerryOperations
import Foundation
import Logging

/// `--log FILE` and `--result FILE` for export and import: the run options image-syncer users
/// type today (issue 6). The log file gets ferry's log lines with UTC timestamps, at least at
/// info level whatever -q/-v say for stderr, plus the final error; the result file is one JSON
/// object listing every image with source, destination, digest and error, written at the end
/// whether the run succeeded or not.
struct RunRecordOptions: ParsableArguments {
    @Option(name: .customLong("log"), help: ArgumentHelp("Also append log lines (info and up, with timestamps) to this file.", valueName: "file"))
    var log: String?

    @Option(name: .customLong("result"), help: ArgumentHelp("Write a JSON result here at the end: every image with source, destination, digest and error.", valueName: "file"))
    var result: String?

    /// Metadata key for lines meant for the log file only (they are on stderr already).
    static let fileOnly = "ferry-log-file-only"

    func validate() throws {
        for (flag, path) in [("--log", log), ("--result", result)] {
            guard let path else { continue }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard !path.isEmpty, !path.hasSuffix("/"),
                  FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(flag) \(path): the directory it goes in must exist")
            }
        }
    }

    /// The stderr logger, plus the `--log` file when given. A log file that cannot be opened
    /// is reported on stderr and the run goes on without it.
    func makeLogger(level: Logger.Level, terminal: Terminal) -> Logger {
        var file: RunLogFile?
        if let log {
            do {
                file = try RunLogFile(path: log)
            } catch {
                terminal.err("ferry: warning: --log \(log): cannot open it for appending (\(error.localizedDescription)); logging to stderr only\n")
            }
        }
        var logger = Logger(label: "ferry") { _ in
            RunLogHandler(stderr: StderrLogHandler(terminal: terminal, logLevel: level), file: file)
        }
        logger.logLevel = file == nil ? level : min(level, .info)
        return logger
    }

    /// One line of the result file.
    struct Entry: Encodable {
        var source: String
        var destination: String?
        var digest: String?
        var error: String?
    }

    /// The result file's contents.
    struct Result: Encodable {
        var command: String
        var succeeded: Int
        var failed: Int
        var images: [Entry]
    }

    /// Writes the result of a finished export: each image went into `report.output`.
    func finish(export report: ExportReport) throws {
        try write(Result(command: "export", succeeded: report.images.count, failed: 0,
                         images: report.images.map { Entry(source: $0.reference, destination: report.output, digest: $0.digest, error: nil) }))
    }

    /// Writes the result of a finished import, failures (`--keep-going`) included.
    func finish(import report: ImportReport) throws {
        let images = report.images.map { Entry(source: $0.source, destination: $0.destination, digest: $0.digest, error: nil) }
            + report.failures.map { Entry(source: $0.image, destination: nil, digest: nil, error: $0.error) }
        try write(Result(command: "import", succeeded: report.images.count, failed: report.failures.count, images: images))
    }

    /// Records a run that stopped with `error`: in the log file, and in the result file with
    /// the error against every image that was asked for (or against `fallback` when the run
    /// stopped before the images were known). A failure to write the result is reported on
    /// stderr; the run's own error stays the one that decides the exit code.
    func fail(_ command: String, error: any Error, images: [String], fallback: String, logger: Logger, terminal: Terminal) {
        let message = ErrorReporter.describe(error)
        logger.error("\(message)", metadata: [Self.fileOnly: "1"])
        guard result != nil else { return }
        let sources = images.isEmpty ? [fallback] : images
        do {
            try write(Result(command: command, succeeded: 0, failed: sources.count,
                             images: sources.map { Entry(source: $0, destination: nil, digest: nil, error: message) }))
        } catch {
            terminal.err("ferry: warning: \(error)\n")
        }
    }

    private func write(_ value: Result) throws {
        guard let result else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        do {
            // Whole or not at all: a reader never sees half a result.
            try (encoder.encode(value) + Data("\n".utf8)).write(to: URL(fileURLWithPath: result), options: .atomic)
        } catch {
            throw InputError.file(path: result, reason: "--result: cannot write it (\(error.localizedDescription))")
        }
    }
}

/// An append-only log file shared by all log handlers of one run.
final class RunLogFile: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    private let formatter: ISO8601DateFormatter

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try Data().write(to: URL(fileURLWithPath: path))
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        formatter = ISO8601DateFormatter()
    }

    func write(level: Logger.Level, message: String) {
        lock.withLock {
            let line = "\(formatter.string(from: Date())) \(level): \(message)\n"
            handle.write(Data(line.utf8))
        }
    }
}

/// Sends each log line to stderr (at the user's level, unless it is marked file-only) and to
/// the log file, if any (info and up).
struct RunLogHandler: LogHandler {
    var stderr: StderrLogHandler
    let file: RunLogFile?
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        file?.write(level: event.level, message: "\(event.message)")
        if event.metadata?[RunRecordOptions.fileOnly] == nil && event.level >= stderr.logLevel {
            stderr.log(event: event)
        }
    }
}
