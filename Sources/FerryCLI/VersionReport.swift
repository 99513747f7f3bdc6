import CFerryPortable
import FerryArchive
import FerryBundle
import FerryHTTP

/// What `ferry --version` reports: ferry's version and commit, and the C libraries this process
/// actually runs with. The packaged binary links the target distribution's libcurl and
/// libarchive, so their versions are read at run time, the way `curl --version` does it: a user
/// on RHEL 9 sees libcurl 7.76 there, whatever the build machine had.
struct VersionReport: Encodable {
    struct Library: Encodable {
        var name: String
        var version: String
        /// What the library itself uses that matters here: libcurl's TLS library.
        var detail: String?
    }

    var version: String
    var commit: String
    var libraries: [Library]

    static func current() -> VersionReport {
        let archive = LibarchiveVersion.components
        var libraries = [
            Library(name: "libcurl", version: CurlVersion.libcurl, detail: CurlVersion.tls),
            Library(name: "libarchive", version: LibarchiveVersion.libarchive, detail: nil),
        ]
        // libzstd, zlib and liblzma reach ferry through libarchive, which names their versions.
        for (name, label) in [("libzstd", "libzstd"), ("zlib", "zlib"), ("liblzma", "liblzma"), ("bz2lib", "libbz2")] {
            if let version = archive[name] { libraries.append(Library(name: label, version: version, detail: nil)) }
        }
        return VersionReport(version: FerryVersion.current, commit: String(cString: ferry_build_commit()), libraries: libraries)
    }

    /// `ferry 0.1.0 (commit 1a2b3c4)`, then one line per library.
    var text: String {
        var lines = ["ferry \(version) (commit \(commit))"]
        for library in libraries {
            lines.append("\(library.name) \(library.version)" + (library.detail.map { " (\($0))" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
