import Foundation

/// Runs a peer tool (skopeo, ctr, podman, tar) to completion for a test: stdout on success,
/// an error carrying its stderr otherwise.
public enum Tool {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = LockedValue(Data())
        // stderr is drained on another thread so neither pipe can fill up and stall the tool.
        let drained = DispatchSemaphore(value: 0)
        Thread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = data }
            drained.signal()
        }.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationStatus == 0 else {
            let stderr = errors.withLock { String(decoding: $0, as: UTF8.self) }
            throw Failure(description: "\(path) \(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(stderr)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
