public import ArgumentParser

/// `ferry`: move container images across air gaps.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct FerryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Move container images across networks that have no route between them.",
        discussion: """
        ferry export pulls images from registries into ONE portable bundle: a tar that is an OCI \
        image layout (skopeo oci-archive:, podman load, ctr import), a docker-archive (docker load, \
        skopeo docker-archive:) and carries ferry's content index, all sharing one blob pool. \
        Carry it across the gap; ferry verify proves it complete and untouched (ferry key and \
        --sign-key/--key for signed bundles); ferry import pushes it into the isolated registry. \
        Signatures, attestations and SBOMs attached to the images travel with them. For limited \
        media, export --split-size cuts the bundle into parts (with SHA256SUMS); for weekly syncs, \
        export --since OLD-BUNDLE carries only what the site does not have yet. \
        Helm charts from classic chart repositories (export --chart) and plain files \
        (export --file) travel as OCI artifacts beside the images; ferry extract writes them out \
        of a bundle. ferry discover lists the images Kubernetes manifests use; export -f also reads \
        image-syncer/SWR images files and skopeo sync YAML as they are (formats/sync-files).

        Output: data on stdout (JSON with --format json), logs and progress on stderr.

        Exit codes:
          0   success
          1   failure not covered below
          64  usage error (bad flag or argument)
          65  bad input: an invalid image reference, image list, platform or auth file
          69  a registry or network failure (not found, HTTP error, connection)
          74  local I/O error (cannot write the output)
          76  integrity failure: content did not match its digest or size
          77  authentication or authorization refused
          130 interrupted (SIGINT); 143 terminated (SIGTERM): scratch files removed, a rerun resumes
        """,
        subcommands: [ExportCommand.self, ImportCommand.self, PlanCommand.self, VerifyCommand.self, InspectCommand.self, ExtractCommand.self, DiscoverCommand.self, CopyCommand.self, SyncCommand.self, MirrorConfigCommand.self, ServeCommand.self, ListTagsCommand.self, LoginCommand.self, LogoutCommand.self, KeyCommand.self]
    )

    @Flag(name: .customLong("version"),
          help: "Show ferry's version and commit, and the libcurl, libarchive and libzstd it runs with (--version --format json: as JSON).")
    var version = false

    public init() {}

    public mutating func run() async throws {
        guard version else { throw CleanExit.helpRequest(self) }
        try VersionReport.print(format: .text)
    }
}
