import Foundation

/// oras-py (PyPI `oras`, installed by scripts/install-deps), the ORAS client the file tests
/// pull with: what `oras pull` would write, from a registry on loopback over plain HTTP.
public enum OrasPy {
    /// Pulls `target` (`HOST:PORT/REPO:TAG`) into `directory`; returns the paths oras wrote.
    public static func pull(_ target: String, into directory: String) async throws -> [String] {
        guard let host = target.split(separator: "/").first else { throw TestSupportError("no host in \(target)") }
        let script = """
        import json, sys, oras.client
        client = oras.client.OrasClient(hostname=sys.argv[1], insecure=True)
        print(json.dumps(client.pull(target=sys.argv[2], outdir=sys.argv[3])))
        """
        let output = try await ChildProcess.run(try PythonTools.stdlibOnly(), ["-c", script, String(host), target, directory])
        let paths = try JSONSerialization.jsonObject(with: output.stdout) as? [String]
        return paths ?? []
    }
}
