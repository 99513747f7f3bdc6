import ArgumentParser
import FerryCore
import Foundation

/// Reading key files for --sign-key and --key.
enum KeyFiles {
    static func privateKey(_ path: String) throws -> SigningKey {
        try SigningKey(pem: try text(path))
    }

    static func publicKey(_ path: String) throws -> VerifyingKey {
        try VerifyingKey(pem: try text(path))
    }

    private static func text(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw InputError.file(path: path, reason: "cannot read the key file")
        }
        return text
    }
}

/// `ferry key`: keys for signing bundles.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make keys for signed bundles.",
        discussion: """
        A bundle signed at export (--sign-key) carries a signature over its content index, which \
        pins every blob digest; `ferry verify --key PUB` checks it on the other side. New keys are \
        Ed25519, whose signatures are deterministic, so a signed bundle is reproducible byte for \
        byte; P-256 keys (older ferry keys, `openssl ecparam -name prime256v1`) still sign and \
        verify, with random signatures. \
        Keep the private key on the sending side; carry the public key to the receiving side by a \
        separate, trusted route (formats/ferry-bundle/SPEC.md, "Signed bundles").
        """,
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write a new private key (0600) and its public key.")

        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Private key file; the public key goes to NAME.pub (same name, .pub added).", valueName: "key.pem"))
        var output: String = "ferry-signing-key.pem"

        func run() throws {
            let terminal = Terminal()
            guard !FileManager.default.fileExists(atPath: output) else {
                terminal.err("ferry: error: \(output) exists; not overwriting a key\n")
                throw ExitCode(74)
            }
            let key = SigningKey.generate()
            do {
                try FileSystem.writeAtomically(Array(key.pem.utf8) + [0x0a], to: output, mode: 0o600)
                try FileSystem.writeAtomically(Array(key.publicKey.pem.utf8) + [0x0a], to: output + ".pub", mode: 0o644)
            } catch {
                throw ErrorReporter.exit(for: error, terminal: terminal)
            }
            terminal.out("private key: \(output)\npublic key:  \(output).pub\nkey id:      \(key.publicKey.keyID)\n")
        }
    }
}
