public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process of the test: either a short command whose output is captured (`run`), or a
/// long-running server (`launch`) whose stdout and stderr go to a log file and which is stopped
/// with `stop()` (SIGTERM, then SIGKILL after a grace period).
///
/// A launched process gets a pipe as stdin whose write end stays in the test process: helpers
/// that watch stdin (the token server, reaper.py) exit by themselves when the test process dies.
public final class ChildProcess: @unchecked Sendable {
    /// What a finished command printed and how it ended.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Executable and arguments, for messages.
    public let command: [String]
    /// Where stdout and stderr go (launched processes), or nil.
    public let logPath: String?

    private let process: Process
    private let stdinPipe: Pipe?
    private let state = LockedValue(State())

    private struct State {
        var exitStatus: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
        var stopped = false
    }

    private init(process: Process, command: [String], logPath: String?, stdinPipe: Pipe?) {
        self.process = process
        self.command = command
        self.logPath = logPath
        self.stdinPipe = stdinPipe
    }

    /// A launched process still running when its last reference goes away is stopped.
    deinit {
        if stdinPipe != nil, isRunning {
            stop(grace: 1)
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// True until the process has exited (and been reaped).
    public var isRunning: Bool { exitStatus == nil }

    /// The exit status once the process has exited (128 + N when killed by signal N).
    public var exitStatus: Int32? {
        if let status = state.withLock({ $0.exitStatus }) { return status }
        // Foundation may know before the termination handler has run (or, during deinit,
        // the handler no longer reaches this object).
        guard !process.isRunning else { return nil }
        // Never started (spawn failed): report -1 rather than touch terminationStatus.
        let status = process.processIdentifier > 0 ? Self.status(of: process) : -1
        state.withLock { if $0.exitStatus == nil { $0.exitStatus = status } }
        return status
    }

    private static func status(of process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    // MARK: - Launching

    /// Starts a long-running process. stdout and stderr are appended to `logPath`. The child
    /// inherits the test's environment plus `environment`, minus variables whose names start
    /// with one of `removingEnvironmentPrefixes`.
    public static func launch(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = [:], removingEnvironmentPrefixes: [String] = [],
        currentDirectory: URL? = nil, logPath: String
    ) throws -> ChildProcess {
        let log = try openForAppending(logPath)
        defer { try? log.close() }
        let pipe = Pipe()
        let child = try start(executable, arguments, environment: environment,
                              removing: removingEnvironmentPrefixes,
                              currentDirectory: currentDirectory,
                              stdin: pipe.fileHandleForReading, stdout: log, stderr: log,
                              logPath: logPath, stdinPipe: pipe)
        try? pipe.fileHandleForReading.close()
        return child
    }

    /// Runs a command to completion and captures its output. Throws when it cannot start, when
    /// it runs longer than `timeout` seconds (it is killed), or, with `check`, when it exits
    /// non-zero (the error includes its stderr).
    public static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = [:], currentDirectory: URL? = nil,
        input: Data? = nil, check: Bool = true, timeout: TimeInterval = 600
    ) async throws -> Output {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path
        let inHandle: FileHandle
        if let input {
            let inPath = scratch.appendingPathComponent("stdin").path
            _ = FileManager.default.createFile(atPath: inPath, contents: input)
            guard let handle = FileHandle(forReadingAtPath: inPath) else {
                throw TestSupportError("cannot open \(inPath)")
            }
            inHandle = handle
        } else {
            inHandle = FileHandle.nullDevice
        }
        let out = try openForAppending(outPath)
        let err = try openForAppending(errPath)
        let child = try start(executable, arguments, environment: environment, removing: [],
                              currentDirectory: currentDirectory,
                              stdin: inHandle, stdout: out, stderr: err,
                              logPath: nil, stdinPipe: nil)
        try? out.close()
        try? err.close()
        if input != nil { try? inHandle.close() }

        let timedOut = LockedValue(false)
        let status = await withTaskCancellationHandler {
            // Only a command still running at the deadline timed out. One that ended in time
            // but whose waiting test had not been resumed yet (Swift's cooperative pool, two
            // threads here, busy with other tests' blocking waits) is not killed or blamed.
            let timer = DispatchWorkItem {
                guard child.isRunning else { return }
                timedOut.withLock { $0 = true }
                child.stop(grace: 1)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
            let status = await child.wait()
            timer.cancel()
            return status
        } onCancel: {
            child.stop(grace: 1)
        }
        let output = Output(
            status: status,
            stdout: FileManager.default.contents(atPath: outPath) ?? Data(),
            stderr: FileManager.default.contents(atPath: errPath) ?? Data())
        try Task.checkCancellation()
        let shown = child.command.map(shellQuoted).joined(separator: " ")
        if timedOut.withLock({ $0 }) {
            throw TestSupportError(
                "command timed out after \(timeout) s and was killed: \(shown)\n\(output.stderrText)")
        }
        if check && status != 0 {
            throw TestSupportError(
                "command failed with status \(status): \(shown)\n\(output.stderrText)")
        }
        return output
    }

    private static func start(
        _ executable: String, _ arguments: [String],
        environment: [String: String], removing prefixes: [String], currentDirectory: URL?,
        stdin: FileHandle, stdout: FileHandle, stderr: FileHandle,
        logPath: String?, stdinPipe: Pipe?
    ) throws -> ChildProcess {
        guard let path = which(executable) else {
            throw TestSupportError("executable not found: \(executable) (PATH=\(searchPath))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { name, _ in
            !prefixes.contains { name.hasPrefix($0) }
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let child = ChildProcess(process: process, command: [path] + arguments,
                                 logPath: logPath, stdinPipe: stdinPipe)
        process.terminationHandler = { [weak child] finished in
            child?.didExit(status(of: finished))
        }
        if let error = child.spawn() {
            throw TestSupportError("cannot start \(path): \(error)")
        }
        return child
    }

    /// Starts the process on the spawner thread (see `SpawnerThread`).
    private func spawn() -> (any Error)? {
        let process = self.process
        return SpawnerThread.shared.perform {
            do {
                try process.run()
                return nil
            } catch {
                return error
            }
        }
    }

    private func didExit(_ status: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.exitStatus = status
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    // MARK: - Waiting and stopping

    /// Waits until the process has exited and returns its status.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Int32? in
                if let status = state.exitStatus { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Blocks until the process has exited or `timeout` seconds passed; true if it exited.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Stops the process: SIGTERM, SIGKILL after `grace` seconds, then closes its stdin pipe.
    /// Returns once it has exited. Idempotent. (Signals first: reaper.py takes an EOF on stdin
    /// while it runs as "the test process died" and removes its --cleanup paths.)
    public func stop(grace: TimeInterval = 5) {
        let pid = process.processIdentifier
        if isRunning, pid > 0 {
            kill(pid, SIGTERM)
            if !waitForExit(timeout: grace) {
                kill(pid, SIGKILL)
                waitForExit(timeout: 5)
            }
        }
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { try? stdinPipe?.fileHandleForWriting.close() }
    }

    /// The last `lines` lines of the log file (launched processes).
    public func logTail(lines: Int = 40) -> String {
        guard let logPath, let data = FileManager.default.contents(atPath: logPath) else {
            return ""
        }
        let all = String(decoding: data, as: UTF8.self).split(separator: "\n",
                                                              omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n")
    }

    // MARK: - Helpers

    private static var searchPath: String {
        ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    /// The absolute path of an executable: `name` itself when it contains a slash, else the
    /// first match on PATH (then /usr/sbin and /sbin).
    public static func which(_ name: String) -> String? {
        let fm = FileManager.default
        if name.contains("/") { return fm.isExecutableFile(atPath: name) ? name : nil }
        let dirs = searchPath.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for dir in dirs where !dir.isEmpty {
            let candidate = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
               fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    private static func openForAppending(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TestSupportError("cannot open \(path) for writing")
        }
        handle.seekToEndOfFile()
        return handle
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = CharacterSet(charactersIn:
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
        if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// One long-lived thread that starts every child process. posix_spawn hands the calling thread's
/// signal mask to the child, and Swift's worker threads block most signals: a child spawned from
/// one would ignore SIGTERM (Go servers such as docker-registry included) and could only be
/// SIGKILLed. This thread unblocks every signal, so children start with an empty mask as they
/// would from a shell (the main thread's mask is empty too, so no signal handling changes). It
/// lives for the whole test process because Foundation keeps the spawning thread's run loop.
private final class SpawnerThread: @unchecked Sendable {
    static let shared = SpawnerThread()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "ferry-test-spawner"
        thread.start()
    }

    private func loop() {
        var mask = sigset_t()
        sigemptyset(&mask)
        pthread_sigmask(SIG_SETMASK, &mask, nil)
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on the spawner thread and returns its result.
    func perform<Result>(_ body: @escaping () -> Result) -> Result {
        var result: Result?
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        jobs.append {
            result = body()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result!
    }
}
