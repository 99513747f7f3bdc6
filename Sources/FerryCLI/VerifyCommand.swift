import ArgumentParser
import FerryCore
import FerryFormat
import FerryVerify
import Foundation

/// `ferry verify`: proves a bundle is complete and untouched.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that a bundle (or oci-archive, Docker 25+ save, OCI layout directory) is complete and untouched.",
        discussion: """
        Reads the input in place and reports EVERY problem, not only the first.

        What is checked:
          tar            header checksums; truncation; bytes after the end;
                         duplicate, unsafe or unexpected members; their order
          blobs          every blobs/<alg>/<hex>: size, then digest (all cores)
          closure        every index.json entry, every manifest's config and
                         layers, every index's children are present; manifests
                         parse and agree with their descriptors (layers that
                         must not be redistributed may be absent; so may the
                         platforms of a foreign archive's partial index)
          manifest.json  each element points at present members and matches
                         an image of index.json (the docker-archive side)
          content index  every ferry-index.json row matches its member (data
                         offset, size, media type); every blob has a row;
                         images[] equals index.json, in order, and every name
                         annotation; index.json, manifest.json and repositories
                         hash to the digests it pins

        Each problem names the member, the blob digest, what was expected and \
        what was found, the byte range, and every image that needs the damaged \
        part. The last line gives the SHA-256 of the content index: compare it \
        with the one `ferry export` printed, or pass that one with \
        --content-index-digest and ferry compares them.

        Exit codes:
          0   everything checks out
          76  damage found (the report is printed on stdout first)
          65  not an image archive ferry can read (not a tar, no index.json
              nor manifest.json); gzip, zstd, xz and bzip2 inputs are read
          74  the input cannot be read (I/O error)

        Examples:
          ferry verify site-a.tar
          ferry verify site-a.tar --content-index-digest sha256:d310b035…
          ferry verify mirror/ --format json
        """
    )

    @Argument(help: ArgumentHelp("Bundle tar, oci-archive, Docker 25+ save tar, or OCI layout directory.", valueName: "input"))
    var input: String

    @Option(name: .customLong("content-index-digest"),
            help: ArgumentHelp("The content-index digest ferry export printed; verify fails unless ferry-index.json hashes to it.", valueName: "sha256:hex"))
    var contentIndexDigest: String?

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Blobs hashed in parallel (default: one per core). -j 1 reads strictly in tar order, best for USB sticks and spinning disks.")
    var jobs: Int = VerifyOptions.defaultJobs

    @Option(name: .customLong("key"), help: ArgumentHelp("Public key (PEM) whose signature the bundle must carry over its content index (member ferry-index.json.sig, or the INPUT.sig sidecar).", valueName: "pub.pem"))
    var key: String?

    @Option(name: .customLong("base"), help: ArgumentHelp("For an incremental bundle (export --since): a base bundle, or its ferry-index.json, that must carry every blob this bundle leaves out (repeatable, for a chain). Without it, verify checks the bundle itself and lists what it takes from its bases.", valueName: "bundle"))
    var base: [String] = []

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            let expected = try contentIndexDigest.map { try Digest(parsing: $0) }
            let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
            let verifier = BundleVerifier(progress: renderer.handle)
            let started = Date()
            var options = VerifyOptions(input: ExportCommand.absolute(input), expectedContentIndexDigest: expected, jobs: jobs)
            options.publicKey = try key.map { try KeyFiles.publicKey($0) }
            if !base.isEmpty { options.base = try BaseBundles.load(base.map(ExportCommand.absolute)) }
            let report = try await verifier.run(options)
            let elapsed = Date().timeIntervalSince(started)
            renderer.finish()
            try VerifyReportPrinter.print(report, elapsed: elapsed, format: outputOptions.result, terminal: terminal)
            guard report.ok else {
                throw FerryFormatError.damaged(path: report.input, reason: Self.summary(report))
            }
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }

    /// The one-line verdict for stderr.
    static func summary(_ report: VerificationReport) -> String {
        let problems = report.problems.count == 1 ? "1 problem" : "\(report.problems.count) problems"
        if report.kind == .tar {
            return "\(problems) found; the member list ends early, so no image could be checked"
        }
        let broken = report.images.filter { $0.status != .ok }
        return "\(problems) found; \(broken.count) of \(report.images.count) images damaged or incomplete"
    }
}

/// The human and JSON forms of a verification report on stdout.
enum VerifyReportPrinter {
    static func print(_ report: VerificationReport, elapsed: TimeInterval, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        switch format {
        case .json:
            try ReportPrinter.json(report, terminal: terminal)
        case .text:
            terminal.out(lines(report, elapsed: elapsed).joined(separator: "\n") + "\n")
        }
    }

    static func lines(_ report: VerificationReport, elapsed: TimeInterval) -> [String] {
        var lines = report.problems.map(line)
        for blob in report.omitted {
            if let platform = blob.platform ?? (MediaType(blob.mediaType).isManifest ? "?" : nil) {
                lines.append("note: \(blob.digest) (\(platform)) is not in the archive: its index is partial by construction (a docker save with the containerd store holds only the platforms it pulled); import takes the platforms present; images: \(blob.affectedImages.joined(separator: ", "))")
            } else {
                lines.append("note: \(blob.digest) (\(blob.mediaType)) is not carried: non-distributable, fetched from \(blob.urls.first ?? "its source") by whoever needs it; images: \(blob.affectedImages.joined(separator: ", "))")
            }
        }
        if let bases = report.baseBundles {
            let count = report.fromBase?.count ?? 0
            lines.append(report.baseChecked == true
                ? "incremental: \(count) blobs are left to base bundle(s) \(bases.joined(separator: ", ")); the bases given carry them all\(report.ok ? "" : " (unless listed above)")"
                : "incremental: \(count) blobs are left to base bundle(s) \(bases.joined(separator: ", ")), not checked here (give them with --base)")
        }
        for image in report.images where image.status != .ok {
            lines.append("\(image.status.rawValue): \(image.name)\(image.name == image.digest ? "" : " (\(image.digest))")")
        }
        let rate = elapsed > 0 ? "\(ByteCount.format(Int64(Double(report.bytesChecked) / elapsed)))/s" : "-"
        let seconds = String(format: "%.2f", elapsed)
        let verdict = report.ok
            ? "ok: \(report.images.count) images complete and untouched"
            : "DAMAGED: \(VerifyCommand.summary(report))"
        var summary = "\(verdict); \(report.kind.rawValue) \(report.input); \(report.blobsChecked) blobs, \(ByteCount.format(report.bytesChecked)) checked in \(seconds) s (\(rate))"
        summary += "; content index \(report.contentIndexDigest ?? "none (no ferry-index.json)")"
        lines.append(summary)
        return lines
    }

    /// One problem: kind, the library's sentence, and the images it breaks.
    static func line(_ problem: VerificationProblem) -> String {
        let images = problem.affectedImages.isEmpty ? "" : "; images: \(problem.affectedImages.joined(separator: ", "))"
        return "\(problem.kind.rawValue): \(problem.message)\(images)"
    }
}
