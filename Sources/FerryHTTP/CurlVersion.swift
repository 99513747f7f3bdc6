import CCurl

/// The libcurl this process runs with, read at run time: the packaged binary links the target
/// distribution's libcurl (7.76 on RHEL 9), not the one it was built against. For `ferry --version`.
public enum CurlVersion {
    /// libcurl's version, e.g. "7.88.1".
    public static var libcurl: String { info.map { String(cString: $0.version) } ?? "unknown" }

    /// The TLS library libcurl uses, e.g. "OpenSSL/3.0.15", or nil when it has none.
    public static var tls: String? { info.flatMap { $0.ssl_version.map { String(cString: $0) } } }

    private static var info: curl_version_info_data? {
        curl_version_info(ferry_curlversion_now).map(\.pointee)
    }
}
