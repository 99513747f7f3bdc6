import ArgumentParser
import FerryCore
import FerryRegistry
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ferry login`: check credentials against a registry, then save them.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a username and password against a registry and save them.",
        discussion: """
        The credentials are tried against the registry first (its /v2/ endpoint, through its own \
        Basic or token challenge); only accepted ones are saved, as containers auth.json / docker \
        config.json `auths` entries, in a file of mode 0600: --authfile, else $REGISTRY_AUTH_FILE, \
        else $XDG_RUNTIME_DIR/containers/auth.json, else ~/.docker/config.json. Other entries of \
        the file are kept.

        Examples:
          echo "$PASSWORD" | ferry login registry.local:5000 -u alice --password-stdin
          ferry login registry.local:5000 -u alice --authfile ./auth.json
        """
    )

    @Argument(help: ArgumentHelp("Registry host[:port].", valueName: "registry"))
    var registry: String

    @Option(name: [.customShort("u"), .customLong("username")], help: "Username.")
    var username: String

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (recommended).")
    var passwordStdin = false

    @Option(name: [.customShort("p"), .customLong("password")], help: "Password (visible in process listings; prefer --password-stdin).")
    var password: String?

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard ImageReference.isValidRegistry(registry) else { throw ValidationError("\"\(registry)\" is not a registry host[:port]") }
        guard !(passwordStdin && password != nil) else { throw ValidationError("use either --password or --password-stdin") }
        guard registryOptions.creds == nil else { throw ValidationError("--creds has no meaning for login; use -u and --password-stdin") }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let secret = try readPassword()
            guard let path = registryOptions.authFile ?? AuthFile.defaultWritePath() else {
                throw ValidationError("no place to save credentials: pass --authfile")
            }
            let credential = Credential(username: username, password: secret)
            let client = try registryOptions.makeClient(registries: [registry], jobs: 1, logger: logger,
                                                        credentials: StaticCredentials(credential))
            try await client.checkLogin(registry: registry)
            try AuthFile.store(credential, registry: registry, path: path)
            terminal.out("Login succeeded: \(username) at \(registry), saved in \(path)\n")
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }

    private func readPassword() throws -> String {
        if let password { return password }
        if passwordStdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw ValidationError("--password-stdin: standard input was empty") }
            return text
        }
        guard isatty(STDIN_FILENO) == 1, let typed = getpass("Password: ") else {
            throw ValidationError("no password: use --password-stdin")
        }
        return String(cString: typed)
    }
}

/// `ferry logout`: remove saved credentials.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove the saved credentials of a registry.")

    @Argument(help: ArgumentHelp("Registry host[:port].", valueName: "registry"))
    var registry: String

    @Option(name: .customLong("authfile"), help: ArgumentHelp("The credentials file (default as for login).", valueName: "path"))
    var authFile: String?

    func run() async throws {
        let terminal = Terminal()
        do {
            guard let path = authFile ?? AuthFile.defaultWritePath() else { throw ValidationError("pass --authfile") }
            guard try AuthFile.remove(registry: registry, path: path) else {
                terminal.err("ferry: not logged in to \(registry) (\(path))\n")
                throw ExitCode(1)
            }
            terminal.out("Removed credentials for \(registry) from \(path)\n")
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}

/// `ferry list-tags`: every tag of a repository.
struct ListTagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-tags",
        abstract: "List the tags of a repository (all pages).",
        discussion: "Example: ferry list-tags registry.local:5000/team/app --format json")

    @Argument(help: ArgumentHelp("Repository: registry/path (a tag or digest is ignored).", valueName: "repository"))
    var repository: String

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let reference = try ImageReference(parsing: repository)
            let client = try registryOptions.makeClient(registries: [reference.registry], jobs: 1, logger: logger)
            let tags = try await client.listTags(registry: reference.registry, repository: reference.repository)
            switch outputOptions.format {
            case .json:
                struct Listing: Encodable { var repository: String; var tags: [String] }
                try ReportPrinter.json(Listing(repository: reference.name, tags: tags), terminal: terminal)
            case .text:
                terminal.out(tags.map { $0 + "\n" }.joined())
            }
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}
