import ArgumentParser
import FerryCore
import FerryFormat
import FerryOperations
import FerryPlan
import FerryVerify
import Foundation
import Logging

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

        After an import, --registry REGISTRY[/PREFIX] (with import's naming options: \
        --flatten, --map, --include, --exclude, -f, --name, --repository, --platform) checks the \
        target instead: every image the import would have pushed must be there with the same \
        digest, every manifest by digest, every blob by HEAD, every tag by the hash of the \
        manifest it names. What is missing is named per image. With --plan PLAN instead of a \
        bundle, the target is checked against every image of the plan, each named with its shard.

        Exit codes:
          0   everything checks out
          76  damage found (the report is printed on stdout first); with
              --registry: an image is missing or different in the target
          65  not an image archive ferry can read (not a tar, no index.json
              nor manifest.json); gzip, zstd, xz and bzip2 inputs are read
          74  the input cannot be read (I/O error)

        Examples:
          ferry verify site-a.tar
          ferry verify site-a.tar --content-index-digest sha256:d310b035…
          ferry verify mirror/ --format json
          ferry verify site-a.tar --registry registry.dc2.local:5000/mirror --flatten 1
          ferry verify --plan plan.json --registry registry.dc2.local:5000/mirror
        """
    )

    @Argument(help: ArgumentHelp("Bundle tar, oci-archive, Docker 25+ save tar, or OCI layout directory (none with --plan).", valueName: "input"))
    var input: String?

    @Option(name: .customLong("plan"), help: ArgumentHelp("With --registry: check the target against a whole plan (from `ferry plan`) instead of one bundle, after every shard was imported: every pinned image, named as import names it (--flatten, --map), with every manifest, blob and tag. Each image missing or different is named with its shard. Exit 76 when any is.", valueName: "plan.json"))
    var plan: String?

    @Option(name: .customLong("content-index-digest"),
            help: ArgumentHelp("The content-index digest ferry export printed; verify fails unless ferry-index.json hashes to it.", valueName: "sha256:hex"))
    var contentIndexDigest: String?

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Blobs hashed in parallel (default: one per core). -j 1 reads strictly in tar order, best for USB sticks and spinning disks.")
    var jobs: Int = VerifyOptions.defaultJobs

    @Option(name: .customLong("key"), help: ArgumentHelp("Public key (PEM) whose signature the bundle must carry over its content index (member ferry-index.json.sig, or the INPUT.sig sidecar).", valueName: "pub.pem"))
    var key: String?

    @Option(name: .customLong("base"), help: ArgumentHelp("For an incremental bundle (export --since): a base bundle, or its ferry-index.json, that must carry every blob this bundle leaves out (repeatable, for a chain). Without it, verify checks the bundle itself and lists what it takes from its bases.", valueName: "bundle"))
    var base: [String] = []

    @Option(name: .customLong("registry"), help: ArgumentHelp("Check this registry against the bundle instead of the bundle's bytes: every image, named as `ferry import --to REGISTRY[/PREFIX]` with the same naming options would name it, must be there with the same digest (every manifest by digest, every blob by HEAD, every tag by its manifest's hash). Exit 76 when any is missing or different.", valueName: "registry[/prefix]"))
    var targetRegistry: String?

    @OptionGroup(title: "Naming (with --registry, as for import)") var naming: ImportNamingOptions
    @OptionGroup(title: "Registry access (with --registry)") var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        if plan != nil {
            guard input == nil, targetRegistry != nil else { throw ValidationError("--plan checks a registry: give --registry REGISTRY[/PREFIX] and no input") }
            let bundleOnly = [naming.imagesFile != nil, !naming.include.isEmpty, !naming.exclude.isEmpty, !naming.names.isEmpty,
                              !naming.platforms.isEmpty, naming.repository != nil]
            guard !bundleOnly.contains(true) else {
                throw ValidationError("with --plan, the plan selects the images: of the naming options only --flatten and --map apply")
            }
        } else if input == nil {
            throw ValidationError("give the bundle to verify (or --plan PLAN --registry REGISTRY)")
        }
        if targetRegistry == nil {
            let naming = [self.naming.imagesFile != nil, self.naming.flatten != 0, !self.naming.include.isEmpty, !self.naming.exclude.isEmpty,
                          !self.naming.map.isEmpty, !self.naming.names.isEmpty, !self.naming.platforms.isEmpty, self.naming.repository != nil]
            guard !naming.contains(true) else { throw ValidationError("-f, --flatten, --include, --exclude, --map, --name, --platform and --repository name images in a registry: they go with --registry") }
        } else {
            guard contentIndexDigest == nil, key == nil, base.isEmpty else {
                throw ValidationError("--registry checks a registry against the bundle; --content-index-digest, --key and --base check the bundle itself (run verify twice)")
            }
        }
    }

    func run() async throws {
        let terminal = Terminal()
        let logger = LoggerFactory.make(level: outputOptions.logLevel, terminal: terminal)
        do {
            if let targetRegistry { return try await checkRegistry(targetRegistry, terminal: terminal, logger: logger) }
            guard let input else { throw ValidationError("give the bundle to verify") }
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

extension VerifyCommand {
    /// `--registry`: the target against the bundle (issue 17, item 3).
    func checkRegistry(_ target: String, terminal: Terminal, logger: Logger) async throws {
        let checkJobs = jobs * 4  // HEAD requests: small, and mostly waiting
        let renderer = ProgressRenderer(terminal: terminal, enabled: !outputOptions.quiet, logger: logger)
        let report: RegistryCheckReport
        if let plan {
            let path = ExportCommand.absolute(plan)
            let loaded = try MigrationPlan.load(path)
            let mapper = try DestinationMapper(to: target, flatten: naming.flatten, map: naming.map)
            let client = try registry.makeClient(registries: [mapper.registry], jobs: checkJobs, logger: logger)
            report = try await RegistryChecker(client: client, progress: renderer.handle)
                .run(plan: loaded.plan, planPath: path, destination: mapper, jobs: checkJobs)
        } else {
            guard let input else { throw ValidationError("give the bundle whose images --registry checks") }
            let (options, opened, targets) = try await naming.resolve(input: ExportCommand.absolute(input), destination: target,
                                                                      terminal: terminal, quiet: outputOptions.quiet, logger: logger)
            var checking = options
            checking.jobs = checkJobs
            let client = try registry.makeClient(registries: targets, jobs: checking.jobs, logger: logger)
            report = try await RegistryChecker(client: client, progress: renderer.handle).run(checking, opened: opened)
        }
        renderer.finish()
        if let format = outputOptions.result {
            switch format {
            case .json: try ReportPrinter.json(report, terminal: terminal)
            case .text:
                var table = TextTable()
                for image in report.images {
                    table.add([image.ok ? "ok" : "MISSING", image.destination, image.digest] + (image.shard.map { ["shard \($0)"] } ?? []))
                }
                var lines = table.lines
                for image in report.images where !image.ok {
                    let carrier = image.shard.map { " (in shard \($0)'s bundle)" } ?? ""
                    lines += image.problems.map { "\(image.destination)\(carrier): \($0)" }
                }
                for entry in report.unnamed { lines.append("(unnamed) \(entry): not checked") }
                let complete = report.images.filter(\.ok).count
                lines.append("")
                lines.append("\(complete) of \(report.images.count) images in \(target) as the \(plan == nil ? "bundle" : "plan") has them; \(report.manifestsChecked) manifests, \(report.blobsChecked) blobs, \(report.tagsChecked) tags checked")
                let shards = Set(report.images.filter { !$0.ok }.compactMap(\.shard)).sorted()
                if !shards.isEmpty { lines.append("import again the bundle(s) of shard(s) \(shards.map(String.init).joined(separator: ", "))") }
                terminal.out(lines.joined(separator: "\n") + "\n")
            }
        }
        guard report.ok else {
            throw FerryOperationsError.targetIncomplete(registry: target, missing: report.images.filter { !$0.ok }.count, total: report.images.count)
        }
    }
}
