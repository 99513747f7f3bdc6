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
