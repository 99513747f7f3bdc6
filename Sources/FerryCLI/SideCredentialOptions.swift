import ArgumentParser
import FerryRegistry
import Foundation

/// skopeo's names for credentials of each side of a copy (`--src-creds`, `--dest-creds`,
/// `--src-authfile`, `--dest-authfile`; issue 17). Each answers only for the registries of its
/// side, before `--creds`, `--auth-syncer` and `--authfile`, which serve both.
struct SideCredentialOptions: ParsableArguments {
    @Option(name: .customLong("src-creds"), help: ArgumentHelp("Username and password for the source registry, as user:password.", valueName: "user:password"))
    var sourceCreds: String?

    @Option(name: .customLong("dest-creds"), help: ArgumentHelp("Username and password for the destination registry, as user:password.", valueName: "user:password"))
    var destinationCreds: String?

    @Option(name: .customLong("src-authfile"), help: ArgumentHelp("Credentials file (auth.json / config.json) for the source registry only.", valueName: "path"))
    var sourceAuthFile: String?

    @Option(name: .customLong("dest-authfile"), help: ArgumentHelp("Credentials file (auth.json / config.json) for the destination registry only.", valueName: "path"))
    var destinationAuthFile: String?

    /// The providers of both sides, each scoped to its registries. A password is for one
    /// registry: a side with several (a sync file naming several sources) takes an auth file.
    func providers(sources: Set<String>, destinations: Set<String>) throws -> [any CredentialProvider] {
        var providers: [any CredentialProvider] = []
        for (flag, creds, authFlag, file, registries) in [("--src-creds", sourceCreds, "--src-authfile", sourceAuthFile, sources),
                                                          ("--dest-creds", destinationCreds, "--dest-authfile", destinationAuthFile, destinations)] {
            if let creds {
                let credential = try RegistryOptions.password(creds, flag: flag, registries: registries, instead: authFlag)
                providers.append(ScopedCredentials(registries: registries, StaticCredentials(credential)))
            }
            if let file {
                providers.append(ScopedCredentials(registries: registries, try AuthFile(path: file)))
            }
        }
        if sourceCreds != nil, destinationCreds != nil, sourceCreds != destinationCreds, !sources.isDisjoint(with: destinations) {
            throw ValidationError("--src-creds and --dest-creds differ, but source and destination are the same registry (\(sources.intersection(destinations).sorted().joined(separator: ", "))); credentials are per registry")
        }
        return providers
    }
}
