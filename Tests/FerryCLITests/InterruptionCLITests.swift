import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rule (issue 15, item 7): SIGINT or SIGTERM while ferry works on a compressed bundle removes
/// its scratch files (the whole decompressed copy used to stay in $TMPDIR), says whether a rerun
/// resumes, and exits 128 + the signal.
@Suite(.serialized) struct InterruptionCLITests {
    @Test(arguments: [(["verify", "big.tar.gz"], SIGTERM, "Nothing was changed"),
                      (["import", "big.tar.gz", "--to", "127.0.0.1:9/x"], SIGINT, "sends only what the registry does not have")])
    func signalRemovesScratchAndSaysSo(_ arguments: [String], _ signalNumber: Int32, _ note: String) async throws {
        let dir = NSTemporaryDirectory() + "ferry-signal-\(UUID().uuidString)"
        let tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 1 GiB of zeros in bzip2, which decompresses slowly (several seconds): long enough to
        // be interrupted even on a loaded machine.
        let script = """
        import bz2, io, sys, tarfile
        class Zeros:
            def read(self, n=-1): return bytes(n)
        with bz2.open(sys.argv[1], "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            layout = b'{"imageLayoutVersion":"1.0.0"}'
            info = tarfile.TarInfo("oci-layout"); info.size = len(layout); tar.addfile(info, io.BytesIO(layout))
            info = tarfile.TarInfo("filler"); info.size = 1 << 30; tar.addfile(info, Zeros())
        """
        _ = try Tool.run("/usr/bin/python3", ["-c", script, dir + "/big.tar.gz"])

        // Up to three tries: on a machine loaded by the whole suite, this process can miss the
        // seconds in which ferry decompresses; a try where ferry finished before its scratch
        // folder was seen proves nothing either way and is run again.
        for attempt in 1...3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp]) { _, new in new }
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait until the decompressed copy is being written, then interrupt.
            let deadline = Date().addingTimeInterval(60)
            var started = false
            while !started && Date() < deadline && process.isRunning {
                started = (try FileManager.default.contentsOfDirectory(atPath: tmp)).contains { $0.contains("ferry-") }
                if !started { usleep(2_000) }  // not Task.sleep: see CLITests.killWhenStalled
            }
            guard started && process.isRunning else {
                process.waitUntilExit()
                _ = errors.fileHandleForReading.readDataToEndOfFile()
                #expect(attempt < 3, "ferry was never caught while decompressing (3 tries)")
                continue
            }
            kill(process.processIdentifier, signalNumber)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signalNumber,
                    "\(process.terminationReason) \(process.terminationStatus): \(stderr)")
            #expect(stderr.contains("interrupted by SIG") && stderr.contains(note), "\(stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty, "scratch left in TMPDIR")
            return
        }
    }
}
