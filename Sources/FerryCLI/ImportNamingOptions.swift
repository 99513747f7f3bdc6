import ArgumentParser
import FerryCore
import FerryOperations
import Logging

/// How a bundle's images are named in a target registry: the options `ferry import` and
/// `ferry verify --registry` share, so a check after an import asks for exactly the names the
/// import gave (issue 17, item 3).
struct ImportNamingOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("images-file")], help: ArgumentHelp("Apply the destination side of an image-syncer/SWR images.json|yaml or skopeo sync YAML (formats/sync-files): each image of the bundle its rules select goes to the rule's destinations (tags, regex and semver are matched against the tags the bundle carries); images it does not select are left out. A plain list selects images for --to.", valueName: "file"))
    var imagesFile: String?

    @Option(name: .customLong("flatten"), help: "Drop this many leading components of each source repository path.")
    var flatten: Int = 0

    @Option(name: .customLong("include"), help: ArgumentHelp("Import only images whose full source name matches this glob. Repeatable.", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip images whose full source name matches this glob. Repeatable.", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("map"), help: ArgumentHelp("Exact override: the image SRC (as named in the bundle) goes to DST, a repository[:tag] under --to's registry. Repeatable.", valueName: "src=dst"))
    var map: [String] = []

    @Option(name: .customLong("name"), help: ArgumentHelp("Name for an unnamed entry of the input (in the order they appear). Repeatable.", valueName: "reference"))
    var names: [String] = []

    @Option(name: .customLong("platform"), help: ArgumentHelp("Import only these platforms of multi-platform images (os/arch[/variant], repeatable). One platform: its own manifest goes under the tag; several: a new index of them (new digest, with a warning). Without it, an index whose platforms are not all in the input (a docker save with the containerd store) is imported with the platforms it holds.", valueName: "os/arch[/variant]"))
    var platforms: [String] = []

    @Option(name: .customLong("repository"), help: ArgumentHelp("Repository of the entries the input names by a tag only (org.opencontainers.image.ref.name = 1.0, as Docker 25+, containerd, BuildKit and regclient write) or not at all (crane): they become REPOSITORY:TAG, or REPOSITORY@DIGEST. A full name the input carries wins.", valueName: "repository"))
    var repository: String?

    func validate() throws {
        guard flatten >= 0 else { throw ValidationError("--flatten must not be negative") }
    }

    /// Import options with these names for `input`, going to `destination` (`--to` or
    /// `--registry`); with `-f`, the input opened once (its names select the images) and the
    /// registries the file sends images to.
    func resolve(input: String, destination: String?, terminal: Terminal, quiet: Bool,
                 logger: Logger) async throws -> (options: ImportOptions, opened: ImportInput?, targets: Set<String>) {
        let mapper = try destination.map { try DestinationMapper(to: $0, flatten: flatten, map: map) }
        let file = try imagesFile.map { try ExportInputFile.load(path: $0) }
        var table: [String: [ImageReference]]?
        // With -f the input is opened first (its names select the images) and then read as it
        // is: a compressed bundle is decompressed once, not twice.
        var opened: ImportInput?
        if let file {
            let input = try await ImportInput.open(input)
            opened = input
            table = try await ImportDestinations.table(file: file, input: input, mapper: mapper, terminal: terminal, quiet: quiet, logger: logger)
        }
        var targets = Set(mapper.map { [$0.registry] } ?? [])
        for references in (table ?? [:]).values { targets.formUnion(references.map(\.registry)) }
        var options = ImportOptions(input: input, destination: mapper, filter: ImageFilter(include: include, exclude: exclude))
        options.names = try names.map { try ImageReference(parsing: $0) }
        options.platforms = try platforms.map { try Platform(parsing: $0) }
        if let repository {
            // A tag would sit in the last path component; "registry:5000/team/app" has none.
            guard !repository.contains("@"), repository.split(separator: "/").last?.contains(":") != true else {
                throw ValidationError("--repository takes a repository without tag or digest, like team/app or registry.local/team/app")
            }
            options.repository = try ImageReference(parsing: repository)
        }
        options.destinationTable = table
        return (options, opened, targets)
    }
}
