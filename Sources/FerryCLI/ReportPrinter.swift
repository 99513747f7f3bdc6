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

    static func print(_ report: ImportReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        switch format {
        case .json:
            try json(report, terminal: terminal)
        case .text:
            var table = TextTable()
            for image in report.images {
                table.add([image.source, "→", image.destination, image.digest + (image.builtManifest ? "  (manifest built by ferry: new digest)" : "")])
            }
            var lines = table.lines
            for digest in report.unnamed { lines.append("(unnamed) \(digest): not imported") }
            lines.append("")
            let copied = report.input == "copy" || report.input.hasPrefix("sync ")
            if report.dryRun {
                lines.append("dry run: \(report.images.count) images would be \(copied ? "copied" : "imported from \(report.input)"); nothing was sent")
            } else {
                let sent = report.blobsUploaded + report.blobsMounted + report.manifestsPushed + report.tagsPushed
                if sent == 0 && report.failures.isEmpty && !report.images.isEmpty {
                    // A rerun, or a target that already had it all (issue 17: "done: images 0/302").
                    lines.append("\(report.images.count) images already present in the target with the same digests; nothing sent")
                }
                lines.append("\(report.images.count) images \(copied ? "copied" : "imported from \(report.input)")")
                lines.append("blobs: \(report.blobsUploaded) uploaded (\(ByteCount.format(report.bytesUploaded))), \(report.blobsMounted) mounted, \(report.blobsSkipped) already present")
                lines.append("manifests pushed: \(report.manifestsPushed), tags pushed: \(report.tagsPushed)")
                if report.imagesSkipped > 0, let journal = report.journal {
                    lines.append("\(report.imagesSkipped) of them finished by an earlier run (\(journal)): skipped without a request")
                }
                if !report.failures.isEmpty {
                    lines.append("FAILED: \(report.failures.count) images: \(report.failures.map(\.image).joined(separator: ", "))")
                }
            }
            terminal.out(lines.joined(separator: "\n") + "\n")
        }
    }

    /// What storing shared blobs once saved, said as sizes a user can check: the images add up
    /// to the first figure, the bundle holds the second (issue 17: "saved 26.2 GiB" next to a
    /// 315 MiB bundle read as a mistake).
    static func sharing(stored: Int64, saved: Int64) -> String {
        guard saved > 0 else { return "" }
        return "; the images add up to \(ByteCount.format(stored + saved)), stored once each in \(ByteCount.format(stored))"
    }

    static func print(_ report: ExportReport, format: OutputOptions.Format?, terminal: Terminal) throws {
        guard let format else { return }
        switch format {
        case .json:
            try json(report, terminal: terminal)
        case .text:
            var lines: [String] = []
            var table = TextTable()
            for image in report.images { table.add([image.reference, image.digest, image.platforms.joined(separator: ",")]) }
            lines += table.lines.map { $0.trimmingCharacters(in: .whitespaces) }
            lines.append("")
            if report.dryRun {
                let free = report.bytesAvailable.map { ", and its file system has \(ByteCount.format($0)) free" + ($0 < report.bytesNeeded ?? 0 ? " (too little: export would refuse to start without --force)" : "") } ?? ""
                lines.append("dry run: \(report.output) (\(report.format)) would need about \(ByteCount.format(report.bytesNeeded ?? 0))\(free); nothing was fetched or written")
                lines.append("\(report.images.count) images, \(report.blobCount) distinct blobs (\(ByteCount.format(report.uniqueBytes)))\(Self.sharing(stored: report.uniqueBytes, saved: report.dedupSavedBytes))")
                terminal.out(lines.joined(separator: "\n") + "\n")
                return
            }
            if let parts = report.parts {
                lines.append("wrote \(report.output) as \(parts.count) parts (\(report.format), \(ByteCount.format(report.bytesWritten)) in all): \(parts.map { String($0.split(separator: "/").last ?? "") }.joined(separator: ", "))")
                lines.append("part index \(report.partIndex ?? ""); check copies with: sha256sum -c \(String((report.checksums ?? "").split(separator: "/").last ?? ""))")
            } else {
                lines.append("wrote \(report.output) (\(report.format), \(ByteCount.format(report.bytesWritten)))")
            }
            lines.append("\(report.images.count) images, \(report.blobCount) distinct blobs (\(ByteCount.format(report.uniqueBytes)))\(Self.sharing(stored: report.uniqueBytes, saved: report.dedupSavedBytes))")
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
