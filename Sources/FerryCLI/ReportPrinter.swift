import FerryCore
import FerryOperations
import Foundation

/// Prints a command's result on stdout: a human summary, or one JSON object.
enum ReportPrinter {
    static func json(_ value: some Encodable, terminal: Terminal) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        terminal.out(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
    }

    static func print(_ report: ImportReport, format: OutputOptions.Format, terminal: Terminal) throws {
        switch format {
        case .json:
            try json(report, terminal: terminal)
        case .text:
            var lines = report.images.map {
                "\($0.source) → \($0.destination)  \($0.digest.prefix(19))…" + ($0.builtManifest ? "  (manifest built by ferry: new digest)" : "")
            }
            for digest in report.unnamed { lines.append("(unnamed) \(digest): not imported") }
            lines.append("")
            let copied = report.input == "copy" || report.input.hasPrefix("sync ")
            if report.dryRun {
                lines.append("dry run: \(report.images.count) images would be \(copied ? "copied" : "imported from \(report.input)"); nothing was sent")
            } else {
                lines.append("\(report.images.count) images \(copied ? "copied" : "imported from \(report.input)")")
                lines.append("blobs: \(report.blobsUploaded) uploaded (\(ByteCount.format(report.bytesUploaded))), \(report.blobsMounted) mounted, \(report.blobsSkipped) already present")
                lines.append("manifests pushed: \(report.manifestsPushed), tags pushed: \(report.tagsPushed)")
                if !report.failures.isEmpty {
                    lines.append("FAILED: \(report.failures.count) images: \(report.failures.map(\.image).joined(separator: ", "))")
                }
            }
            terminal.out(lines.joined(separator: "\n") + "\n")
        }
    }

    static func print(_ report: ExportReport, format: OutputOptions.Format, terminal: Terminal) throws {
        switch format {
        case .json:
            try json(report, terminal: terminal)
        case .text:
            var lines: [String] = []
            let width = min(max(report.images.map(\.reference.count).max() ?? 0, 10), 70)
            for image in report.images {
                let name = image.reference.padding(toLength: max(width, image.reference.count), withPad: " ", startingAt: 0)
                let platforms = image.platforms.isEmpty ? "" : "  " + image.platforms.joined(separator: ",")
                lines.append("\(name)  \(image.digest.prefix(19))…\(platforms)")
            }
            lines.append("")
            if let parts = report.parts {
                lines.append("wrote \(report.output) as \(parts.count) parts (\(report.format), \(ByteCount.format(report.bytesWritten)) in all): \(parts.map { String($0.split(separator: "/").last ?? "") }.joined(separator: ", "))")
                lines.append("part index \(report.partIndex ?? ""); check copies with: sha256sum -c \(String((report.checksums ?? "").split(separator: "/").last ?? ""))")
            } else {
                lines.append("wrote \(report.output) (\(report.format), \(ByteCount.format(report.bytesWritten)))")
            }
            lines.append("\(report.images.count) images, \(report.blobCount) distinct blobs (\(ByteCount.format(report.uniqueBytes))); shared blobs saved \(ByteCount.format(report.dedupSavedBytes))")
            lines.append("transferred \(report.blobsTransferred) blobs (\(ByteCount.format(report.bytesTransferred))), reused \(report.blobsReused) already verified")
            if !report.omittedBlobs.isEmpty {
                lines.append("not carried (non-distributable layers): \(report.omittedBlobs.joined(separator: ", "))")
            }
            if let bases = report.baseBundles {
                lines.append("incremental: \(report.blobsFromBase ?? 0) blobs (\(ByteCount.format(report.bytesFromBase ?? 0))) left to base bundle(s) \(bases.joined(separator: ", "))")
            }
            if let digest = report.contentIndexDigest {
                lines.append("content index: \(digest)")
            }
            terminal.out(lines.joined(separator: "\n") + "\n")
        }
    }
}
