// Whole archives through the three readers that take one from the other side of the gap:
// `ferry verify` (BundleVerifier), `ferry inspect` (Inspector) and the opening of an import
// (ImportInput: index, names). They walk index.json, manifest.json, the content index and the
// image graph (issue 15, item 4: 60⁵ walks of a 50 KB bundle).
//
// An input is either a tar as it is, or a layout the fuzzer writes as text (`LayoutInput`),
// whose blobs are named by their real digests so mutations get past the hash checks into the
// graph walkers. To see the tar a layout input stands for (and run `ferry verify` on it), run
// the target on that input with FERRY_FUZZ_TAR_OUT=PATH.
import FerryOperations
import FerryVerify
import FerryCore
import Foundation
import FuzzSupport

/// Where to copy each archive as it is fed to the readers, for reproducing with the CLI.
let tarOut = ProcessInfo.processInfo.environment["FERRY_FUZZ_TAR_OUT"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Fuzz.bytes(start, count)
    let tar: [UInt8]
    if let layout = LayoutInput(bytes) {
        tar = layout.tar()
    } else {
        // A compressed input is decompressed first, bounded by design at 100× its size or
        // 64 GiB (README, "Import"), and tested as such (HostileCompressedInputTests); here it
        // would only measure the disk. libarchive itself is fuzzed by OSS-Fuzz.
        let magics: [[UInt8]] = [[0x1f, 0x8b], [0x28, 0xb5, 0x2f, 0xfd], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], [0x42, 0x5a, 0x68]]
        if magics.contains(where: { bytes.starts(with: $0) }) { return 0 }
        tar = bytes
    }
    let input = FuzzFile.shared
    input.write(tar)
    if let tarOut { _ = FileManager.default.createFile(atPath: tarOut, contents: Data(tar)) }
    let path = input.path
    Fuzz.blocking {
        _ = try await BundleVerifier().run(VerifyOptions(input: path, jobs: 1))
    }
    Fuzz.blocking {
        _ = try await Inspector.inspect(path: path)
    }
    Fuzz.blocking {
        let opened = try await ImportInput.open(path)
        _ = try await opened.sourceNames()
    }
    return 0
}
