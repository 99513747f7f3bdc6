import FerryCore
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// How `ferry serve` listens.
public struct ServeOptions: Sendable {
    public var host: String
    /// 0 asks the system for a free port (reported in `ServeEvent.listening`).
    public var port: Int
    /// Connections served at once; further ones wait in the listen backlog.
    public var maxConnections: Int
    /// A connection with no request for this long is closed.
    public var idleTimeout: Duration
    /// Check every blob before accepting connections (otherwise each on its first request).
    public var verifyAtStart: Bool
    /// HTTPS with this certificate chain and key (PEM files), or plain HTTP when nil.
    public var tls: (certificate: String, key: String)?
    /// An htpasswd file (bcrypt) whose users alone may pull, or nil for anyone.
    public var htpasswd: String?

    public init(host: String = "127.0.0.1", port: Int = 5000, maxConnections: Int = 256, idleTimeout: Duration = .seconds(60),
                verifyAtStart: Bool = false, tls: (certificate: String, key: String)? = nil, htpasswd: String? = nil) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.verifyAtStart = verifyAtStart
        self.tls = tls
        self.htpasswd = htpasswd
    }
}

/// `ferry serve`: a read-only registry (the pull side of the OCI distribution spec) answering
/// straight from bundles, on Hummingbird 2 over SwiftNIO.
///
/// Runs until SIGTERM or SIGINT, then stops accepting connections and lets the requests in
/// flight finish (ServiceLifecycle's graceful shutdown) before it returns.
///
/// Built on HummingbirdCore (its HTTP/1.1 server, connection limit and idle timeout) without
/// the `Hummingbird` module: ferry routes with `DistributionRoute` and needs none of its
/// router, codable or file helpers, and leaving them (with swift-async-algorithms' extras,
/// NIOFileSystem, metrics and tracing) out keeps the release binary smaller.
public enum BundleServer {
    public static func run(_ bundles: ServedBundles, options: ServeOptions, logger: Logger,
                           events: @escaping @Sendable (ServeEvent) -> Void) async throws {
        let verdicts = BlobVerdicts(bundles: bundles) { digest, reason in
            let bundle = bundles.catalog.blob(digest).map { bundles.bundles[$0.bundle].name } ?? "?"
            events(.damaged(digest: digest, bundle: bundle, reason: reason, images: bundles.images(using: digest)))
        }
        // The password file and the TLS files first: a mistake in them is reported at once,
        // not after --verify has read every blob.
        let credentials = try options.htpasswd.map { path throws(FerryServeError) in try PullCredentials(path: path) }
        let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(max(options.idleTimeout.components.seconds, 1)))
        let builder: HTTPServerBuilder
        if let tls = options.tls {
            builder = try Self.tls(.http1(configuration: http1), certificate: tls.certificate, key: tls.key)
        } else {
            builder = HTTPServerBuilder { responder in SplicingHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: http1)) }
        }
        let digests = bundles.catalog.digests
        if options.verifyAtStart {
            let damaged = try await verdicts.checkAll(digests)
            let bytes = digests.reduce(Int64(0)) { $0 + (bundles.catalog.blob($1)?.size ?? 0) }
            events(.checked(blobs: digests.count, bytes: bytes, damaged: damaged.count))
        }
        let responder = BundleResponder(bundles: bundles, verdicts: verdicts, credentials: credentials, events: events,
                                        splices: options.tls == nil)
        let images = bundles.bundles.reduce(0) { $0 + $1.index.images.count }
        let scheme = options.tls == nil ? "http" : "https"
        let server: any Service
        do {
            server = try builder.buildServer(
                configuration: ServerConfiguration(address: .hostname(options.host, port: options.port),
                                                   availableConnectionsDelegate: MaximumAvailableConnections(options.maxConnections)),
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: logger,
                responder: { request, writer, channel in
                    let response = await responder.respond(to: request, channel: channel)
                    try await writer.write(response: response.head, body: response.body)
                },
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? options.port
                    let host = options.host.contains(":") ? "[\(options.host)]" : options.host
                    events(.listening(address: "\(host):\(port)", scheme: scheme, bundles: bundles.bundles.count, images: images,
                                      blobs: digests.count))
                })
        } catch {
            throw FerryServeError.server(reason: "cannot set up the server: \(error)")
        }
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw FerryServeError.server(reason: "the server stopped: \(error)")
        }
        events(.stopping)
    }

    /// `builder` behind TLS (swift-nio-ssl, BoringSSL) with the PEM certificate chain and key.
    static func tls(_ builder: HTTPServerBuilder, certificate: String, key: String) throws(FerryServeError) -> HTTPServerBuilder {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate)
            guard !chain.isEmpty else { throw FerryServeError.server(reason: "--tls-cert \(certificate): no certificate in it") }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                         privateKey: .privateKey(privateKey))
            return try HTTPServerBuilder.tls(builder, tlsConfiguration: configuration)
        } catch let error as FerryServeError {
            throw error
        } catch {
            throw .server(reason: "--tls-cert \(certificate) / --tls-key \(key): \(error)")
        }
    }
}
