import Foundation

/// A private containerd (Debian's 1.6) for peer tests: its root, state, sockets and plugin dir
/// all under `dir`, the CRI plugin off. `dir` must be short: the socket path has to fit in
/// sun_path (108 bytes). Stop it by its PID with `stop()`.
public final class TestContainerd: Sendable {
    public let socket: String
    private let process: ChildProcess

    private init(socket: String, process: ChildProcess) {
        self.socket = socket
        self.process = process
    }

    public static func start(in dir: String, within seconds: TimeInterval = 30) async throws -> TestContainerd {
        try """
        version = 2
        root = "\(dir)/root"
        state = "\(dir)/state"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        [grpc]
          address = "\(dir)/c.sock"
        [ttrpc]
          address = "\(dir)/c.sock.ttrpc"
        [debug]
          address = "\(dir)/d.sock"
        [plugins."io.containerd.internal.v1.opt"]
          path = "\(dir)/opt"
        """.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        let process = try ChildProcess.launch("/usr/bin/containerd", ["--config", dir + "/config.toml"], logPath: dir + "/containerd.log")
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: dir + "/c.sock") && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        return TestContainerd(socket: dir + "/c.sock", process: process)
    }

    /// `ctr --address SOCK -n ferry ARGUMENTS…`, its stdout.
    public func ctr(_ arguments: [String]) throws -> String {
        try Tool.run("/usr/bin/ctr", ["--address", socket, "-n", "ferry"] + arguments)
    }

    public func stop() { process.stop(grace: 5) }
}
