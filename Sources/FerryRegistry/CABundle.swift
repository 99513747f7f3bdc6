import Foundation

/// Builds a PEM bundle of the system CAs plus the certificates in a `--cert-dir`, so the extra
/// CAs add to rather than replace the system trust store.
enum CABundle {
    static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    static func build(certDirectory: String) throws -> String {
        let manager = FileManager.default
        var pem = Data()
        if let system = systemBundles.first(where: { manager.fileExists(atPath: $0) }),
           let data = manager.contents(atPath: system) {
            pem.append(data)
            pem.append(0x0a)
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: certDirectory).sorted()
        } catch {
            throw RegistryError.authFile(path: certDirectory, reason: "cannot list the certificate directory")
        }
        var added = 0
        for name in names where name.hasSuffix(".crt") || name.hasSuffix(".pem") {
            if let data = manager.contents(atPath: "\(certDirectory)/\(name)") {
                pem.append(data)
                pem.append(0x0a)
                added += 1
            }
        }
        guard added > 0 else {
            throw RegistryError.authFile(path: certDirectory, reason: "no *.crt or *.pem certificates in the directory")
        }
        let path = NSTemporaryDirectory() + "ferry-ca-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pem"
        guard manager.createFile(atPath: path, contents: pem, attributes: [.posixPermissions: 0o644]) else {
            throw RegistryError.authFile(path: path, reason: "cannot write the combined CA bundle")
        }
        return path
    }
}
