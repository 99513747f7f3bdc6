import CArchive

/// The versions of the libarchive this process runs with, and of the compression libraries that
/// libarchive was built with, read at run time (the packaged binary links whatever the target
/// distribution ships, so the build machine's headers say nothing). For `ferry --version`.
public enum LibarchiveVersion {
    /// libarchive's own version, e.g. "3.6.2".
    public static var libarchive: String {
        String(cString: archive_version_string()).replacingOccurrences(of: "libarchive ", with: "")
    }

    /// The libraries libarchive reports, by name: "zlib" → "1.2.13", "libzstd" → "1.5.4", …
    /// (from `archive_version_details()`, "libarchive 3.6.2 zlib/1.2.13 liblzma/5.4.1 …").
    public static var components: [String: String] {
        var found: [String: String] = [:]
        for word in String(cString: archive_version_details()).split(separator: " ") {
            let parts = word.split(separator: "/", maxSplits: 1)
            if parts.count == 2 { found[String(parts[0])] = String(parts[1]) }
        }
        return found
    }
}
