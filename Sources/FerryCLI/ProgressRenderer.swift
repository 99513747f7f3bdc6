import FerryCore
import Foundation
import Logging

/// Turns progress events into stderr output: one redrawn line on a terminal (images, blobs,
/// bytes, rate, time left), plain lines otherwise: a summary every 10 seconds at most, never a
/// line per image (issue 17: 3,020 `resolved` lines for 3,020 images; `-v` logs each image).
final class ProgressRenderer: @unchecked Sendable {
    private let terminal: Terminal
    private let enabled: Bool
    private let logger: Logger
    private let lock = NSLock()
    private var imagesResolved = 0
    private var imagesTotal = 0
    private var totalBytes: Int64 = 0
    private var doneBytes: Int64 = 0
    private var blobsTotal = 0
    private var blobsDone = 0
    private var imagesDone = 0
    private var planned = false
    private var started = Date()
    private var lastPlainLine = Date()
    private var timer: (any DispatchSourceTimer)?

    init(terminal: Terminal, enabled: Bool, logger: Logger) {
        self.terminal = terminal
        self.enabled = enabled
        self.logger = logger
        if enabled && terminal.stderrIsTerminal {
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ferry.progress"))
            timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
            timer.setEventHandler { [weak self] in self?.redraw() }
            timer.resume()
            self.timer = timer
        }
    }

    /// The `ProgressHandler` to give the library.
    var handle: ProgressHandler {
        { [self] event in self.receive(event) }
    }

    private func receive(_ event: ProgressEvent) {
        switch event {
        case .resolving:
            lock.withLock { imagesTotal += 1 }
        case .imagesPlanned(let count):
            lock.withLock { imagesTotal = count }
        case .resolved(let image, let digest, let platforms):
            let platformText = platforms.isEmpty ? "" : " [\(platforms.map(\.description).joined(separator: ", "))]"
            logger.info("resolved \(image) \(digest)\(platformText)")
            if let line = lock.withLock({ () -> String? in
                imagesResolved += 1
                return periodicSummaryLocked()
            }) { plain(line) }
        case .warning(let message):
            if enabled { terminal.err("ferry: warning: \(message)\n") }
        case .note(let message):
            if enabled { terminal.err("ferry: \(message)\n") }
        case .planned(let blobs, let bytes, let toTransfer, let toTransferBytes):
            lock.withLock {
                planned = true
                blobsTotal = toTransfer
                totalBytes = toTransferBytes
                blobsDone = 0
                doneBytes = 0
                started = Date()
            }
            plain("\(blobs) distinct blobs (\(ByteCount.format(bytes))); \(toTransfer) to transfer (\(ByteCount.format(toTransferBytes)))")
        case .checking(let blobs, let bytes):
            lock.withLock {
                planned = true
                blobsTotal = blobs
                totalBytes = bytes
                blobsDone = 0
                doneBytes = 0
                started = Date()
            }
            plain("hashing \(blobs) blobs (\(ByteCount.format(bytes)))")
        case .blobStarted:
            break
        case .bytes(let count):
            lock.withLock { doneBytes += count }
        case .blobFinished(let digest, let size):
            let line = lock.withLock { () -> String? in
                blobsDone += 1
                return periodicSummaryLocked()
            }
            logger.debug("verified \(digest) (\(size) bytes)")
            if let line { plain(line) }
        case .imageCompleted(let image):
            lock.withLock { imagesDone += 1 }
            logger.info("complete: \(image)")
        case .finished:
            break
        }
    }

    /// A plain line, only when stderr is not a terminal (the redrawn line covers terminals).
    private func plain(_ line: String) {
        guard enabled, !terminal.stderrIsTerminal else { return }
        terminal.err("ferry: \(line)\n")
    }

    /// The summary, at most every 10 seconds (nil in between): the plain lines off a terminal.
    private func periodicSummaryLocked() -> String? {
        guard Date().timeIntervalSince(lastPlainLine) >= 10 else { return nil }
        lastPlainLine = Date()
        return summaryLocked()
    }

    private func summaryLocked() -> String {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(doneBytes) / elapsed
        if !planned {
            return "resolving images \(imagesResolved)/\(imagesTotal)"
        }
        var line = "images \(imagesDone)/\(imagesTotal)  blobs \(blobsDone)/\(blobsTotal)  \(ByteCount.format(doneBytes))/\(ByteCount.format(totalBytes))  \(ByteCount.format(Int64(rate)))/s"
        if rate > 0, doneBytes < totalBytes, elapsed >= 2 {
            line += "  about \(Self.duration(Double(totalBytes - doneBytes) / rate)) left"
        }
        return line
    }

    /// `83 s`, `4 min 10 s`, `2 h 5 min`: what is left, as precisely as a rate allows.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \((total % 3600) / 60) min"
    }

    private func redraw() {
        let line = lock.withLock { summaryLocked() }
        terminal.progress("ferry: " + line)
    }

    func finish() {
        timer?.cancel()
        timer = nil
        if enabled && terminal.stderrIsTerminal { terminal.clearProgress() }
        if enabled && !terminal.stderrIsTerminal && lock.withLock({ planned }) {
            // Nothing was missing (a rerun): say so rather than "images 0/302".
            let line = lock.withLock { blobsDone == 0 && doneBytes == 0 ? "nothing to transfer" : summaryLocked() }
            terminal.err("ferry: done: \(line)\n")
        }
    }
}
