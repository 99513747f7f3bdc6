import Foundation

/// A `ferry serve` the test started (`--listen 127.0.0.1:0`), found at the address it printed
/// and stopped by its PID.
public struct FerryServer: Sendable {
    public let process: ChildProcess
    /// `127.0.0.1:PORT`
    public let address: String
    public let log: String

    /// The ferry binary beside the test bundle.
    public static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ferry").path
    }

    /// Starts `ferry serve ARGUMENTS --listen 127.0.0.1:0`, logging into `dir/name.log`, and
    /// waits (up to 60 s) for the line that names the bound address.
    public static func start(_ arguments: [String], in dir: String, name: String = "serve") throws -> FerryServer {
        let log = "\(dir)/\(name).log"
        let process = try ChildProcess.launch(binary, ["serve"] + arguments + ["--listen", "127.0.0.1:0"], logPath: log)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"(on https?://|"address":")127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                let found = text[range]
                let start = found.range(of: "127.0.0.1")?.lowerBound ?? found.startIndex
                return FerryServer(process: process, address: String(found[start...]), log: log)
            }
            if !process.isRunning { throw TestSupportError("ferry serve exited: \(text)") }
            // Blocking on purpose: a Task.sleep poller can starve while the cooperative pool is busy.
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.stop()
        throw TestSupportError("ferry serve did not listen within 60 s: \(process.logTail())")
    }

    public func stop() { process.stop(grace: 10) }

    /// What it has logged so far.
    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// curl's status and body for `path` on this server (extra curl arguments first).
    public func get(_ path: String, _ arguments: [String] = []) throws -> (status: Int, body: Data) {
        try Self.curl(arguments, "http://\(address)\(path)")
    }

    /// curl's status and body for `url`.
    public static func curl(_ arguments: [String], _ url: String) throws -> (status: Int, body: Data) {
        let out = NSTemporaryDirectory() + "ferry-serve-curl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let code = try Tool.run("/usr/bin/curl", ["-s", "-o", out, "-w", "%{http_code}"] + arguments + [url])
        return (Int(code) ?? -1, (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data())
    }
}
