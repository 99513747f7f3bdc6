import FerryInputs
import FerryRegistry
import Foundation

/// Registry settings that come from input files rather than flags: an image-syncer auth file
/// (`--auth-syncer`) or the `credentials`/`tls-verify`/`cert-dir` blocks of a skopeo sync
/// file (`formats/sync-files/SPEC.md`). Flags still win: `--creds` comes first among
/// credentials and `--cert-dir` over a file's `cert-dir`.
struct InputRegistrySettings {
    /// Credential sources, consulted after `--creds` and before `--authfile`.
    var providers: [any CredentialProvider] = []
    /// Registries to reach over plain HTTP / unverified TLS, besides `--insecure-registry`.
    var insecureRegistries: Set<String> = []
    /// A CA directory from a file, used when `--cert-dir` is not given.
    var certDirectory: String?

    /// These settings plus the `--auth-syncer` file, read now (so a missing `${VAR}` stops the
    /// command before any network traffic).
    func adding(syncerAuth path: String?) throws -> InputRegistrySettings {
        guard let path else { return self }
        var settings = self
        do {
            let file = try SyncerAuthFile.load(path: path, environment: ProcessInfo.processInfo.environment)
            settings.providers.insert(file, at: 0)
            settings.insecureRegistries.formUnion(file.insecureRegistries)
        } catch {
            throw InputError.file(path: path, reason: "--auth-syncer: \(error.description)")
        }
        return settings
    }

    /// The settings a skopeo sync file carries.
    init(skopeo file: SkopeoSyncFile) throws {
        providers = [file.credentials]
        insecureRegistries = file.insecureRegistries
        let directories = Set(file.registries.compactMap(\.certDirectory))
        guard directories.count <= 1 else {
            throw InputError.file(path: file.source, reason: "cert-dir names \(directories.count) different directories; ferry uses one CA set per run (pass --cert-dir)")
        }
        certDirectory = directories.first
    }

    init() {}

    /// These settings and another file's (`plan -f A -f B`): credentials in file order, the
    /// insecure registries of both, one CA directory.
    func merging(_ other: InputRegistrySettings, source: String) throws -> InputRegistrySettings {
        var merged = self
        merged.providers += other.providers
        merged.insecureRegistries.formUnion(other.insecureRegistries)
        if let directory = other.certDirectory {
            if let mine = certDirectory, mine != directory {
                throw InputError.file(path: source, reason: "cert-dir \(directory) differs from \(mine) of an earlier file; ferry uses one CA set per run (pass --cert-dir)")
            }
            merged.certDirectory = directory
        }
        return merged
    }
}
