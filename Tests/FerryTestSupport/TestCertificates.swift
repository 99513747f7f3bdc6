public import Foundation

/// Certificates made with the openssl CLI for the integration tests (EC P-256, 10 years).
public enum TestCertificates {
    /// A CA and a server certificate signed by it, valid for 127.0.0.1 and localhost.
    public struct TLS: Sendable {
        /// CA certificate (PEM): what clients trust.
        public let caCertificatePath: String
        public let caKeyPath: String
        public let serverCertificatePath: String
        public let serverKeyPath: String
        /// A directory holding only `ca.crt` (a copy of the CA), in the layout of
        /// containers' certs.d: `skopeo --cert-dir`, `--src-cert-dir`.
        public let certDirectory: String
    }

    /// A self-signed certificate and its key, for signing tokens (the x5c chain).
    public struct Signing: Sendable {
        public let certificatePath: String
        public let keyPath: String
    }

    /// Makes a CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) in `directory`.
    public static func makeTLS(in directory: URL) async throws -> TLS {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let caKey = path("ca.key"), caCert = path("ca.pem")
        let key = path("server.key"), csr = path("server.csr"), cert = path("server.pem")
        let ext = path("server.ext")
        try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", caKey, "-out", caCert, "-days", "3650",
                           "-subj", "/CN=ferry test CA",
                           "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"])
        let extensions = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=IP:127.0.0.1,DNS:localhost

            """
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: ext))
        try await openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey,
                           "-CAcreateserial", "-out", cert, "-days", "3650", "-extfile", ext])
        let certDir = directory.appendingPathComponent("certs.d")
        try fm.createDirectory(at: certDir, withIntermediateDirectories: true)
        try fm.copyItem(atPath: caCert, toPath: certDir.appendingPathComponent("ca.crt").path)
        return TLS(caCertificatePath: caCert, caKeyPath: caKey, serverCertificatePath: cert,
                   serverKeyPath: key, certDirectory: certDir.path)
    }

    /// Makes a self-signed signing certificate `<name>.pem` and key `<name>.key`.
    public static func makeSigning(in directory: URL, name: String = "token-signer",
                                   commonName: String = "ferry-test-issuer") async throws -> Signing {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("\(name).key").path
        let cert = directory.appendingPathComponent("\(name).pem").path
        try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", key, "-out", cert, "-days", "3650",
                           "-subj", "/CN=\(commonName)"])
        return Signing(certificatePath: cert, keyPath: key)
    }

    private static func openssl(_ arguments: [String]) async throws {
        _ = try await ChildProcess.run("openssl", arguments, timeout: 60)
    }
}
