import CFerryPortable
import FerryCore
import Foundation

/// The arguments ferry was started with, taken from the kernel's argv rather than from
/// `CommandLine.arguments`: on Linux the Swift runtime reads those from /proc/self/cmdline, so
/// in a chroot or container without /proc it sees none, and ferry would print its help and exit
/// 0 as if asked for nothing (issue 14). CFerryPortable captures argv in an ELF constructor,
/// before any Swift code runs.
///
/// The raw bytes also let ferry refuse an argument that is not UTF-8 instead of writing to a
/// path with U+FFFD in place of the bytes the user typed (issue 15, item 17).
enum ProgramArguments {
    enum Problem: Error, Equatable {
        /// Neither the captured argv nor /proc/self/cmdline gave the program name.
        case unavailable
        /// Argument `position` (1 is the first after the program name) is not valid UTF-8.
        case notUTF8(position: Int, bytes: [UInt8])

        var message: String {
            switch self {
            case .unavailable:
                return "cannot read the command-line arguments (no argv was captured and /proc/self/cmdline is unreadable); mount /proc and run again"
            case .notUTF8(let position, let bytes):
                let shown = String(decoding: bytes, as: UTF8.self)
                return "argument \(position) is not valid UTF-8 (\(shown.debugDescription)); ferry takes names and paths as UTF-8"
            }
        }
    }

    /// The arguments after the program name.
    static func current() -> Result<[String], Problem> {
        let count = Int(ferry_captured_argc())
        guard count > 0 else {
            // A C library that does not hand argv to constructors: the runtime's view is all there is.
            let fallback = CommandLine.arguments
            return fallback.isEmpty ? .failure(.unavailable) : .success(Array(fallback.dropFirst()))
        }
        var raw: [[UInt8]] = []
        for index in 1..<count {
            guard let pointer = ferry_captured_arg(Int32(index)) else { return .failure(.unavailable) }
            raw.append(Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                 count: strlen(pointer))))
        }
        return decode(raw)
    }

    /// Options that take true or false may be given bare, meaning true, as skopeo and podman
    /// accept `--tls-verify` (issue 17): `--tls-verify` becomes `--tls-verify=true` unless the
    /// next argument is its value.
    static let booleanOptions: Set<String> = ["--tls-verify"]

    static func normalised(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            // After `--` everything is an operand.
            guard !result.contains("--"), booleanOptions.contains(argument) else {
                result.append(argument)
                continue
            }
            let next = index + 1 < arguments.count ? arguments[index + 1].lowercased() : ""
            result.append(next == "true" || next == "false" ? argument : argument + "=true")
        }
        return result
    }

    /// UTF-8 arguments as strings; the first that is not UTF-8 is a problem.
    static func decode(_ raw: [[UInt8]]) -> Result<[String], Problem> {
        var arguments: [String] = []
        for (offset, bytes) in raw.enumerated() {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return .failure(.notUTF8(position: offset + 1, bytes: bytes))
            }
            arguments.append(text)
        }
        return .success(arguments)
    }
}

/// The process entry: checks for /proc, reads the arguments, then runs `FerryCommand`.
public enum FerryEntry {
    public static func main() async {
        // Swift concurrency on Linux runs on libdispatch, whose thread-pool monitor reads
        // /proc/<tid>/stat about once a second and traps (SIGILL, exit 132) when it cannot: a
        // ferry without /proc dies at a random moment, possibly halfway through a bundle. Refuse
        // to start instead, with the one command that fixes it. CFerryPortable's constructor
        // does so before any thread exists; this is the fallback where constructors do not run.
        guard access("/proc/self/stat", R_OK) == 0 else {
            Terminal().err("ferry: error: /proc is not mounted; ferry needs it (the Swift runtime's thread pool reads /proc/<tid>/stat). Mount it with: mount -t proc proc /proc\n")
            exit(1)
        }
        ProcessMemory.limitAllocatorArenas()
        switch ProgramArguments.current() {
        case .success(let arguments):
            if let format = VersionReport.requestedFormat(arguments) {
                do {
                    try VersionReport.print(format: format)
                    exit(0)
                } catch {
                    Terminal().err("ferry: error: \(error)\n")
                    exit(74)
                }
            }
            let command = arguments.first { !$0.hasPrefix("-") }
            // `ferry serve` stops on these signals itself, finishing the requests in flight.
            if command != "serve" { Interruption.install(command: command) }
            await FerryCommand.main(ProgramArguments.normalised(arguments))
        case .failure(let problem):
            Terminal().err("ferry: error: \(problem.message)\n")
            exit(problem == .unavailable ? 1 : 64)
        }
    }
}
