import ArgumentParser
import FerryCore
import FerryOperations
import FerryServe
import Foundation
import Logging

/// `ferry serve`: a read-only registry straight out of bundles (issue 19).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve bundles as a read-only registry, in place: no registry to set up, no import, no copy.",
        discussion: """
        Answers the pull side of the OCI distribution API straight from the bundles: GET and \
        HEAD of /v2/, manifests (by tag and digest, with their stored media type and \
        Docker-Content-Digest), blobs (with one Range: 206, or 416 outside the blob), \
        tags/list and _catalog (with n and last). Everything that writes answers 405. \
        Repositories keep their original names: docker.io/library/nginx is library/nginx \
        (or docker.io/library/nginx), and ?ns=<registry> (what a containerd hosts.toml mirror \
        sends) picks the registry when several hold the same path. Bundles given first win a \
        tag two of them hold. --prefix, --flatten and --map serve them under the names \
        `ferry import` would give instead (then ?ns= is ignored).

        Byte-exact or nothing: a blob is hashed before its first byte is sent (all of them at \
        start with --verify) and the verdict is kept; a damaged blob is answered with 500 and \
        a log line naming the images it breaks, never with its bytes. Blobs are read where the \
        content index says they lie, so a compressed bundle is refused with the command that \
        decompresses it (or decompressed once into --cache DIR). A split bundle is served from \
        its parts.

        HTTPS with --tls-cert/--tls-key; pulls limited to the users of an htpasswd file (bcrypt, \
        as distribution reads it) with --htpasswd. Stops on SIGTERM or SIGINT: no new connections; requests in flight finish. One access \
        log line per request on stderr (--format json: a JSON object per line); -q: none.

        Examples:
          ferry serve site-a.tar
          ferry serve site-a.tar site-b.tar --listen 0.0.0.0:5000 --verify
          skopeo copy --all --src-tls-verify=false docker://127.0.0.1:5000/library/nginx:1.27 oci:nginx
        """
    )

    @Argument(help: ArgumentHelp("The bundles to serve (a tar, or any part or the part index of a split bundle).", valueName: "bundle"))
    var bundles: [String]

    @Option(name: .customLong("listen"), help: ArgumentHelp("Address and port to listen on (port 0: any free port, reported on stderr).", valueName: "host:port"))
    var listen = "127.0.0.1:5000"

    @Flag(name: .customLong("verify"), help: "Hash every blob before accepting connections (otherwise each on its first request).")
    var verify = false

    @Option(name: .customLong("cache"), help: ArgumentHelp("Directory where compressed bundles are decompressed once (and reused by later runs).", valueName: "dir"))
    var cache: String?

    @Option(name: .customLong("max-connections"), help: "Connections served at once; more wait in the listen queue.")
    var maxConnections = 256

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Close a connection idle for this many seconds.", valueName: "seconds"))
    var idleTimeout = 60

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM; with --tls-key).", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The private key of --tls-cert (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("htpasswd"), help: ArgumentHelp("Only these users may pull: an htpasswd file with bcrypt entries (htpasswd -B), as distribution reads. Use with --tls-cert: Basic credentials travel in the clear otherwise.", valueName: "file"))
    var htpasswd: String?

    @Option(name: .customLong("prefix"), help: ArgumentHelp("Serve the repositories under this path, named as `ferry import --to REGISTRY/PREFIX` (with --flatten and --map) would name them.", valueName: "path"))
    var prefix: String?

    @Option(name: .customLong("flatten"), help: "Drop this many leading components of each repository path (as import's --flatten).")
    var flatten = 0

    @Option(name: .customLong("map"), help: ArgumentHelp("Serve the image SRC (as named in the bundle) as DST, a repository[:tag] (as import's --map). Repeatable.", valueName: "src=dst"))
    var map: [String] = []

    @OptionGroup var outputOptions: OutputOptions

    /// The import naming the options ask for, or nil to keep the bundles' names. The mapper
    /// needs a registry; the placeholder never shows: the server answers for every name.
    func renaming() throws -> ServedCatalog.Renaming? {
        guard prefix != nil || flatten > 0 || !map.isEmpty else { return nil }
        let path = (prefix ?? "").split(separator: "/").joined(separator: "/")
        let mapper = try DestinationMapper(to: "ferry.serve" + (path.isEmpty ? "" : "/" + path), flatten: flatten, map: map)
        return { try mapper.destination(for: $0) }
    }

    func validate() throws {
        guard !bundles.isEmpty else { throw ValidationError("give at least one bundle to serve") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be at least 1 second") }
        _ = try ListenAddress(listen)
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard flatten >= 0 else { throw ValidationError("--flatten must not be negative") }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let address = try ListenAddress(listen)
            if htpasswd != nil, tlsCertificate == nil, !outputOptions.quiet {
                terminal.err("ferry: warning: --htpasswd without --tls-cert: passwords cross the network in the clear\n")
            }
            let served = try ServedBundles.open(bundles.map(ExportCommand.absolute), cache: cache.map(ExportCommand.absolute),
                                                renaming: try renaming())
            for conflict in served.catalog.conflicts where !outputOptions.quiet {
                terminal.err("ferry: warning: \(conflict) is in several bundles with different digests; the first bundle's is served\n")
            }
            let renderer = ServeEventRenderer(terminal: terminal, format: outputOptions.format, quiet: outputOptions.quiet)
            try await BundleServer.run(served,
                                       options: ServeOptions(host: address.host, port: address.port, maxConnections: maxConnections,
                                                             idleTimeout: .seconds(idleTimeout), verifyAtStart: verify,
                                                             tls: tlsCertificate.flatMap { certificate in tlsKey.map { (ExportCommand.absolute(certificate), ExportCommand.absolute($0)) } },
                                                             htpasswd: htpasswd.map(ExportCommand.absolute)),
                                       logger: logger, events: renderer.render)
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}

/// `--listen`: `host:port`, `[v6]:port`, or `:port` (every address).
struct ListenAddress: Equatable {
    let host: String
    let port: Int

    init(_ text: String) throws {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValidationError("--listen \(text): expected [address]:port") }
            port = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ValidationError("--listen \(text): expected host:port (127.0.0.1:5000, :5000, [::1]:5000)")
        }
        guard let number = Int(port), (0...65535).contains(number) else {
            throw ValidationError("--listen \(text): the port must be a number from 0 to 65535")
        }
        self.host = host.isEmpty ? "0.0.0.0" : String(host)
        self.port = number
    }
}

/// Writes `ferry serve`'s events on stderr: text lines, or one JSON object per line.
struct ServeEventRenderer: Sendable {
    let terminal: Terminal
    let format: OutputOptions.Format
    let quiet: Bool

    private struct Line: Encodable {
        var event: String
        var address: String?
        var bundles: Int?
        var images: Int?
        var blobs: Int?
        var bytes: Int64?
        var damaged: Int?
        var digest: String?
        var bundle: String?
        var reason: String?
        var affected: [String]?
        var access: AccessRecord?
    }

    func render(_ event: ServeEvent) {
        let line: Line
        let text: String
        switch event {
        case .listening(let address, let scheme, let bundles, let images, let blobs):
            line = Line(event: "listening", address: address, bundles: bundles, images: images, blobs: blobs)
            text = "ferry: serving \(images) image\(images == 1 ? "" : "s") (\(blobs) blobs) from \(bundles) bundle\(bundles == 1 ? "" : "s") on \(scheme)://\(address)"
        case .checked(let blobs, let bytes, let damaged):
            line = Line(event: "checked", blobs: blobs, bytes: bytes, damaged: damaged)
            text = "ferry: checked \(blobs) blobs (\(ByteCount.format(bytes))): \(damaged == 0 ? "all intact" : "\(damaged) damaged, answered with 500")"
        case .damaged(let digest, let bundle, let reason, let images):
            line = Line(event: "damaged", digest: digest.description, bundle: bundle, reason: reason, affected: images)
            text = "ferry: error: blob \(digest) in \(bundle) is damaged (\(reason)); it is answered with 500. It breaks: \(images.isEmpty ? "no named image" : images.joined(separator: ", "))"
        case .access(let record):
            guard !quiet else { return }
            line = Line(event: "access", access: record)
            text = "\(record.remote ?? "-") \"\(record.method) \(record.target)\" \(record.status) \(record.bytes) \(record.milliseconds)ms\(record.note.map { " (\($0))" } ?? "")"
        case .stopping:
            line = Line(event: "stopped")
            text = "ferry: stopped"
        }
        if quiet, case .listening = event { return }
        switch format {
        case .text:
            terminal.err(text + "\n")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            do {
                terminal.err(String(decoding: try encoder.encode(line), as: UTF8.self) + "\n")
            } catch {
                terminal.err(text + "\n")
            }
        }
    }
}
