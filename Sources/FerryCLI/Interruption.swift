import Dispatch
import FerryCore

#if canImport(Glibc)
import Glibc
#endif

/// What ferry does on Ctrl-C (SIGINT) or SIGTERM: remove its scratch files, say whether a rerun
/// picks up where this run stopped, and exit 130 or 143 (128 + the signal, as shells report).
///
/// Before, no handler existed: the signal killed the process mid-way and a compressed bundle's
/// decompressed copy stayed in `$TMPDIR` (issue 15, item 7). The handler runs on a dispatch
/// queue, not in signal context, so it may remove files and write; it then ends the process
/// with `_exit`, so no worker thread goes on writing into what was just removed. What a rerun
/// needs is kept: an export's `.NAME.ferry-partial` and its journal, and whatever an import
/// already pushed (the registry has it; the rerun skips it).
enum Interruption {
    /// Kept alive for the whole process: a released source stops delivering.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Installs the handlers; `command` is the subcommand, for the line about resuming.
    static func install(command: String?) {
        let note = resumeNote(command)
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInitiated))
            source.setEventHandler {
                FileSystem.removeAllScratch()
                Terminal().err("\nferry: interrupted by \(name); temporary files removed. \(note)\n")
                // Worker threads run until _exit: one may have made a file in a scratch folder
                // while the first pass removed it. A second pass catches that.
                FileSystem.removeAllScratch()
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether running the same command again continues this one.
    static func resumeNote(_ command: String?) -> String {
        switch command {
        case "export":
            return "Run the same export again to resume: the blobs already verified are kept in .NAME.ferry-partial beside the output."
        case "import", "copy", "sync":
            return "Run the same command again to resume: it sends only what the registry does not have yet."
        default:
            return "Nothing was changed; run it again."
        }
    }
}
