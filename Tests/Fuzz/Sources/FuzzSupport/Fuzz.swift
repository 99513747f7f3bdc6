import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every fuzz target does with libFuzzer's bytes (issue 15).
///
/// A target feeds the bytes to ferry's parsers and looks only for what must never happen on any
/// input: a trap (overflow, index out of range, a `!`), a hang (`-timeout`), or memory out of
/// all proportion to the input (`-rss_limit_mb`, `-malloc_limit_mb`). A thrown error is the
/// right answer to bad input, so errors are dropped here; a broken invariant is made a trap so
/// that libFuzzer records the input.
public enum Fuzz {
    /// The fuzzer's input, copied.
    public static func bytes(_ start: UnsafeRawPointer, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// The bytes as text. Invalid UTF-8 becomes U+FFFD, so every input reaches the parser; the
    /// CLI refuses such files before parsing (`InputText.decode`), so this is a superset.
    public static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `body`'s value, or nil when it throws: refusing bad input is correct.
    @discardableResult
    public static func refusing<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch {
            return nil
        }
    }

    /// Traps with `message` when `condition` is false, so libFuzzer keeps the input as a crash.
    public static func check(_ condition: Bool, _ message: @autoclosure () -> String,
                             file: StaticString = #fileID, line: UInt = #line) {
        if !condition {
            fatalError("fuzz invariant broken: \(message())", file: file, line: line)
        }
    }

    /// Runs an async body to its end from libFuzzer's synchronous callback; errors are dropped
    /// as in `refusing`.
    public static func blocking(_ body: @escaping @Sendable () async throws -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await body()
            } catch {
                // Refusing bad input is correct.
            }
            done.signal()
        }
        done.wait()
    }
}

/// A file that each run rewrites with its input, for the readers that take a path or an open
/// file (the tar scanner, verify, inspect, import). It lives in a private directory under
/// `$FERRY_FUZZ_TMPDIR` (scripts/fuzz removes it), else on tmpfs (`/dev/shm`, else `$TMPDIR`),
/// removed when the fuzzer exits normally.
public final class FuzzFile: Sendable {
    /// One per process: libFuzzer runs one input at a time.
    public static let shared = FuzzFile(name: "input.tar")

    public let directory: String
    public let path: String

    private init(name: String) {
        let base = ProcessInfo.processInfo.environment["FERRY_FUZZ_TMPDIR"]
            ?? (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory())
        directory = "\(base)/ferry-fuzz-\(getpid())"
        path = "\(directory)/\(name)"
        mkdir(directory, 0o700)
        fuzzDirectory = directory
        atexit {
            // Best effort: the process is on its way out either way.
            if let directory = fuzzDirectory {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    /// Replaces the file's content with `bytes`.
    public func write(_ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz: cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        var done = 0
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while done < raw.count {
                let n = writeSome(fd, base + done, raw.count - done)
                guard n > 0 else { fatalError("fuzz: cannot write \(path): errno \(errno)") }
                done += n
            }
        }
    }
}

/// For the exit handler, which cannot capture.
nonisolated(unsafe) private var fuzzDirectory: String?

/// `write(2)`, out of reach of `FuzzFile.write`'s name.
private func writeSome(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
