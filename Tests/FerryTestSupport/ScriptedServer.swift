import Foundation

/// A loopback HTTP server whose every answer comes from a script (Resources/scripted_server.py),
/// for registries that misbehave on purpose: hostile token realms, endless pagination,
/// oversized bodies. Keys are "METHOD path-prefix"; values give status, headers, body.
public final class ScriptedServer: Sendable {
    public struct Rule: Encodable, Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var repeat_body: Int
        public var link_next: Bool
        public var link_counter: Bool
        public var drip_seconds: Double

        /// `linkNext`: a `Link` to the same page (a loop); `linkCounter`: to a new page each time;
        /// `dripSeconds`: the body one byte at a time, with this pause between bytes.
        public init(status: Int = 200, headers: [String: String] = [:], body: String = "", repeatBody: Int = 1,
                    linkNext: Bool = false, linkCounter: Bool = false, dripSeconds: Double = 0) {
            self.status = status
            self.headers = headers
            self.body = body
            repeat_body = repeatBody
            link_next = linkNext
            link_counter = linkCounter
            drip_seconds = dripSeconds
        }
    }

    public let port: UInt16
    private let process: ChildProcess
    private let directory: URL

    public var host: String { "127.0.0.1:\(port)" }

    public init(_ script: [String: Rule]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-scripted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scriptPath = directory.appendingPathComponent("script.json").path
        try JSONEncoder().encode(script).write(to: URL(fileURLWithPath: scriptPath))
        let portFile = directory.appendingPathComponent("port").path
        process = try ChildProcess.launch(try PythonTools.stdlibOnly(), [try PythonTools.resource("scripted_server.py"), scriptPath, portFile],
                                          logPath: directory.appendingPathComponent("log").path)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = UInt16(text) {
                self.port = port
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.stop(grace: 1)
        throw TestSupportError("scripted server did not start")
    }

    deinit { stop() }

    /// The requests received so far, "METHOD PATH", with " with-authorization" added when the
    /// request carried an Authorization header.
    public func requests() -> [String] {
        let path = directory.appendingPathComponent("port.requests").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    public func stop() {
        process.stop(grace: 2)
        try? FileManager.default.removeItem(at: directory)
    }
}
