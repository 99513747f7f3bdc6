import Foundation

/// Builds a PEM bundle of the system CAs plus the certificates in a `--cert-dir`, so the extra
/// CAs add to rather than replace the system trust store.
enum CABundle {
    static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    static func build(certDirectory: String) throws -> [UInt8] {
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
            throw RegistryError.certificateDirectory(path: certDirectory, reason: "cannot list it")
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
            throw RegistryError.certificateDirectory(path: certDirectory, reason: "has no *.crt or *.pem certificates")
        }
        return Array(pem)
    }
}
