import ArgumentParser
import FerryCore
import FerryOperations
import Foundation

/// `ferry extract`: the files and charts a bundle carries, written into a directory.
struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write the files and Helm charts a bundle carries into a directory (no registry needed).",
        discussion: """
        Files (from `ferry export --file`, or plain-file artifacts made by `oras push`) are \
        written under their recorded names with their recorded mode; charts as NAME-VERSION.tgz \
        (and .tgz.prov), as `helm pull` names them. Every byte is checked against its digest on \
        the way, and a file appears under its name only once it checked. A file already there \
        with the same bytes is kept; one with other bytes stops the run (extract never \
        overwrites). Images are left out: they go to a registry with `ferry import`.

        Give NAMEs (an artifact's name, its repository path, or a file name) to extract only \
        those.

        Examples:
          ferry extract site-a.tar -o ./files
          ferry extract site-a.tar -o ./files kubectl
          ferry extract site-a.tar -o ./charts localhost/files/installer:1.0
        """
    )

    @Argument(help: ArgumentHelp("The bundle (or oci-archive or OCI layout) to read.", valueName: "bundle"))
    var bundle: String

    @Argument(help: ArgumentHelp("Only these: an artifact name, a repository path or a file name.", valueName: "name"))
    var names: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The directory to write into (created when missing).", valueName: "dir"))
    var output: String

    @OptionGroup var outputOptions: OutputOptions

    func run() async throws {
        let terminal = Terminal()
        do {
            let report = try await Extractor.run(ExtractOptions(input: bundle, directory: output, names: names))
            try ReportPrinter.print(report, format: outputOptions.result, terminal: terminal)
        } catch {
            throw ErrorReporter.exit(for: error, terminal: terminal)
        }
    }
}

extension ReportPrinter {
    static func print(_ report: ExtractReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        guard format == .text else { return try json(report, terminal: terminal) }
        var table = TextTable(header: ["FILE", "SIZE", "MODE", "FROM"])
        for file in report.files {
            let name = file.path + (file.directory == true ? "/" : "") + (file.present ? " (already there)" : "")
            table.add([name, ByteCount.format(file.size), file.mode ?? "-", file.artifact])
        }
        var lines = table.lines
        lines.append("")
        lines.append("\(report.files.count) file(s) in \(report.directory), every one checked against its digest")
        terminal.out(lines.joined(separator: "\n") + "\n")
    }
}
