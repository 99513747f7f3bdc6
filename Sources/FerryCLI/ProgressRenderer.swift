import FerryCore
import Foundation
import Logging

/// Turns progress events into stderr output: one redrawn line on a terminal (images, bytes,
/// rate), plain lines otherwise (one per image resolved, and a summary every 10 seconds).
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
            lock.withLock { imagesResolved += 1 }
            let platformText = platforms.isEmpty ? "" : " [\(platforms.map(\.description).joined(separator: ", "))]"
            plain("resolved \(image) \(digest.short)\(platformText)")
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
            let line: String? = lock.withLock {
                blobsDone += 1
                guard Date().timeIntervalSince(lastPlainLine) >= 10 else { return nil }
                lastPlainLine = Date()
                return summaryLocked()
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

    private func summaryLocked() -> String {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(doneBytes) / elapsed
        if !planned {
            return "resolving images \(imagesResolved)/\(imagesTotal)"
        }
        return "images \(imagesDone)/\(imagesTotal)  blobs \(blobsDone)/\(blobsTotal)  \(ByteCount.format(doneBytes))/\(ByteCount.format(totalBytes))  \(ByteCount.format(Int64(rate)))/s"
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
            let line = lock.withLock { summaryLocked() }
            terminal.err("ferry: done: \(line)\n")
        }
    }
}
