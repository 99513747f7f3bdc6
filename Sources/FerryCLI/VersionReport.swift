import CFerryPortable
import FerryArchive
import FerryCore
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

    /// Prints the report on stdout.
    static func print(format: OutputOptions.Format) throws {
        let report = current()
        switch format {
        case .text: Terminal().out(report.text)
        case .json: try ReportPrinter.json(report, terminal: Terminal())
        }
    }

    /// The format `arguments` ask the version in, when they are `--version` with at most a
    /// `--format`; nil for anything else. `ferry --version --format json` is answered before
    /// ArgumentParser sees it: a `--format` option on the root command would also capture the
    /// `--format` of every subcommand (`ferry export … --format json` printed text).
    static func requestedFormat(_ arguments: [String]) -> OutputOptions.Format? {
        guard arguments.contains("--version") else { return nil }
        var format = OutputOptions.Format.text
        var rest = arguments.filter { $0 != "--version" }
        while let first = rest.first {
            rest.removeFirst()
            let value: String
            if first == "--format", let next = rest.first {
                value = next
                rest.removeFirst()
            } else if first.hasPrefix("--format=") {
                value = String(first.dropFirst("--format=".count))
            } else {
                return nil
            }
            guard let parsed = OutputOptions.Format(rawValue: value) else { return nil }
            format = parsed
        }
        return format
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
