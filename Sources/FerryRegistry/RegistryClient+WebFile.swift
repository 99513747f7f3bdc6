public import FerryCore
public import FerryHTTP
import Foundation

extension RegistryClient {
    /// Fetches a plain HTTP(S) file that is not behind the distribution API: a Helm chart
    /// repository's `index.yaml`, a chart `.tgz` or its `.prov` (issue 20).
    ///
    /// It uses the run's registry settings, so a chart repository is reached the way a registry
    /// on the same host would be: TLS verification unless the host is an `--insecure-registry`
    /// or `--tls-verify=false`, the `--cert-dir` CA bundle, the retry policy, and the credential
    /// the auth file (or `--creds`) holds for the URL's `host[:port]`. A credential is sent
    /// only to that origin (redirects elsewhere lose it) and never over plain HTTP to a host
    /// that is neither loopback nor listed as insecure. Returns nil for 404, so optional files
    /// (a `.prov`) can be asked for.
    public func fetchWebFile(_ url: String, maximumBodySize: Int) async throws -> [UInt8]? {
        let response = try await sendWeb(url, maximumBodySize: maximumBodySize, sinkFactory: nil)
        switch response.status {
        case 200: return response.body
        case 404: return nil
        default: throw Self.unexpected(response)
        }
    }

    /// Streams a web file into `target` (which verifies), starting over on a retry. Throws
    /// for 404 as for any other status but 200.
    public func fetchWebFile(_ url: String, into target: any BlobSink) async throws {
        let response = try await sendWeb(url, maximumBodySize: 64 * 1024, sinkFactory: { head in
            guard head.status == 200 else { return nil }
            if target.received > 0 { try target.restart() }
            return BlobSinkAdapter(target)
        })
        guard response.status == 200 else { throw Self.unexpected(response) }
    }

    /// The `host[:port]` a web URL's credentials are looked up under, as registries are.
    public static func webHost(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return nil }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    private func sendWeb(_ url: String, maximumBodySize: Int, sinkFactory: HTTPSinkFactory?) async throws -> HTTPResponse {
        guard let host = Self.webHost(url), let scheme = URLComponents(string: url)?.scheme?.lowercased(),
              scheme == "https" || scheme == "http" else {
            throw RegistryError.transport(.invalidURL(URLRedaction.redact(url)))
        }
        let insecure = configuration.insecureRegistries.contains(host)
        let tls = TLSOptions(verify: configuration.tlsVerify && !insecure, caBundlePEM: try await caBundle())
        var request = HTTPRequest(url: url, tls: tls)
        if let credential = try await credentials.credential(registry: host, repository: nil) {
            guard scheme == "https" || insecure || RegistryConfiguration.isLoopback(host) else {
                throw RegistryError.unauthorized(registry: host, repository: nil,
                                                 detail: "refusing to send a password over plain HTTP to \(host); use https, or --insecure-registry \(host) to allow it")
            }
            request.headers.set("Authorization", credential.basicAuthorization)
        }
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            guard let response = try await perform(request, attempt: attempt, retry: true, maximumBodySize: maximumBodySize,
                                                   sinkFactory: sinkFactory) else { continue }
            if response.status == 401 || response.status == 403 {
                let sent = request.headers["Authorization"] != nil
                throw RegistryError.unauthorized(registry: host, repository: nil,
                                                 detail: "HTTP \(response.status) for \(URLRedaction.redact(url))"
                                                     + (sent ? "; the credentials were refused" : "; no credentials are stored for \(host) (ferry login \(host), or --creds)"))
            }
            return response
        }
    }
}
