import Foundation

/// Locates the Python interpreter and the Python helpers the tests run.
enum PythonTools {
    /// An interpreter that can `import cryptography` (the token server needs it; the fixture
    /// pusher and reaper need only the stdlib): `python3` on PATH, then /usr/bin/python3.
    /// `FERRY_TEST_PYTHON` overrides the search.
    static let interpreter: Result<String, TestSupportError> = {
        let env = ProcessInfo.processInfo.environment
        var candidates = ["python3", "/usr/bin/python3"]
        if let forced = env["FERRY_TEST_PYTHON"], !forced.isEmpty { candidates = [forced] }
        var tried: [String] = []
        for candidate in candidates {
            guard let path = ChildProcess.which(candidate) else {
                tried.append("\(candidate) (not found)")
                continue
            }
            if canImportCryptography(path) { return .success(path) }
            tried.append("\(path) (no cryptography module)")
        }
        return .failure(TestSupportError(
            "no python3 that can import cryptography; tried: \(tried.joined(separator: ", ")). "
            + "Install python3-cryptography (scripts/install-deps)."))
    }()

    /// The interpreter for the token server (needs `cryptography`).
    static func withCryptography() throws -> String {
        try interpreter.get()
    }

    /// The interpreter for stdlib-only scripts (pusher, reaper): the one with cryptography when
    /// there is one, else the first python3 found.
    static func stdlibOnly() throws -> String {
        if case .success(let path) = interpreter { return path }
        let env = ProcessInfo.processInfo.environment
        if let forced = env["FERRY_TEST_PYTHON"], !forced.isEmpty,
           let path = ChildProcess.which(forced) {
            return path
        }
        if let path = ChildProcess.which("python3") ?? ChildProcess.which("/usr/bin/python3") {
            return path
        }
        throw TestSupportError("python3 not found (PATH=\(env["PATH"] ?? ""))")
    }

    private static func canImportCryptography(_ python: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import cryptography.hazmat.primitives.asymmetric.ec"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// A script shipped in this target's Resources folder.
    static func resource(_ name: String) throws -> String {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        if let url = Bundle.module.url(forResource: base, withExtension: ext,
                                       subdirectory: "Resources") {
            return url.path
        }
        let source = PackagePaths.supportDirectory.appendingPathComponent("Resources/\(name)")
        if FileManager.default.fileExists(atPath: source.path) { return source.path }
        throw TestSupportError("resource \(name) not found in \(Bundle.module.bundlePath)")
    }
}

/// Paths derived from this source file's location (Tests/FerryTestSupport/PackagePaths…).
enum PackagePaths {
    /// Tests/FerryTestSupport, with symlinks resolved.
    static let supportDirectory: URL = URL(fileURLWithPath: #filePath)
        .resolvingSymlinksInPath().deletingLastPathComponent()

    /// The package root: two directories up from Tests/FerryTestSupport.
    static let packageRoot: URL = supportDirectory
        .deletingLastPathComponent().deletingLastPathComponent()

    /// scripts/fixtures/ferry-fixtures.py under the package root (`FERRY_FIXTURES_SCRIPT`
    /// overrides).
    static var fixturesScript: String {
        if let forced = ProcessInfo.processInfo.environment["FERRY_FIXTURES_SCRIPT"],
           !forced.isEmpty {
            return forced
        }
        return packageRoot.appendingPathComponent("scripts/fixtures/ferry-fixtures.py").path
    }
}
