import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The process's stdout and stderr. Only FerryCLI writes to them: stdout carries data,
/// stderr carries logs and progress. Writes to stderr are serialised so a progress line and a
/// log line never interleave mid-line.
final class Terminal: @unchecked Sendable {
    let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    init() {
        // A closed stdout pipe (`ferry … | head`) or a credential helper that exits early must
        // turn into an EPIPE error, not kill the process without a word.
        signal(SIGPIPE, SIG_IGN)
    }
    private let lock = NSLock()
    /// A progress line is on screen and must be erased before other stderr output.
    private var progressShown = false

    func out(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func err(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        clearProgressLocked()
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Replaces the progress line (terminals only).
    func progress(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
        progressShown = true
    }

    func clearProgress() {
        lock.lock()
        defer { lock.unlock() }
        clearProgressLocked()
    }

    private func clearProgressLocked() {
        if progressShown {
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            progressShown = false
        }
    }
}
