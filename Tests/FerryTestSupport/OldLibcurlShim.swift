import Foundation

/// Builds `Resources/old_libcurl.c` into an LD_PRELOAD library that makes the machine's libcurl
/// refuse the options newer than RHEL 9's 7.76.1, and logs what ferry falls back to (issue 14).
public enum OldLibcurlShim {
    /// Compiles the shim into `directory` and returns the `.so` path.
    public static func build(in directory: String) throws -> String {
        let output = directory + "/old_libcurl.so"
        _ = try Tool.run("/usr/bin/cc", ["-shared", "-fPIC", "-O1", "-o", output, try PythonTools.resource("old_libcurl.c"), "-ldl", "-lpthread"])
        return output
    }
}

/// Archives in the shapes other tools write (`Resources/foreign_shapes.py`, our own generator).
public enum ForeignShapes {
    /// Writes `shape` to `path`; returns the generator's JSON summary (digests).
    public static func write(_ shape: String, to path: String) throws -> [String: String] {
        let output = try Tool.run("/usr/bin/python3", [try PythonTools.resource("foreign_shapes.py"), shape, path])
        return (try? JSONDecoder().decode([String: String].self, from: Data(output.utf8))) ?? [:]
    }
}
