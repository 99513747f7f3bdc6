// swift-tools-version: 6.0
// ferry's fuzz targets (issue 15): one libFuzzer executable per parser of untrusted bytes.
// Not part of the product; scripts/fuzz builds it with `swift build --sanitize=fuzzer` and runs
// each target for a bounded time on a copy of Corpus/<target>/. See README.md ("Tests").
//
// The root package is a path dependency named "ferry" (the name is what `package:` below
// matches; SwiftPM would otherwise call it after the checkout's directory, which varies), and
// exports the modules fuzzed here as library products.
import PackageDescription

let ferry = "ferry"
// As the root package's targets.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ferry-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: ferry, path: "../.."),
    ],
    targets: [
        // What the targets share: the fuzzer's bytes as text or as a file, invariant checks.
        .target(name: "FuzzSupport", swiftSettings: strict),
        .executableTarget(name: "FuzzTarScanner",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryCore", package: ferry),
                                         .product(name: "FerryArchive", package: ferry),
                                         .product(name: "FerryFormat", package: ferry)], swiftSettings: strict),
        .executableTarget(name: "FuzzManifest",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryCore", package: ferry),
                                         .product(name: "FerryFormat", package: ferry)], swiftSettings: strict),
        .executableTarget(name: "FuzzReference",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryCore", package: ferry),
                                         .product(name: "FerryInputs", package: ferry)], swiftSettings: strict),
        .executableTarget(name: "FuzzAuthChallenge",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryRegistry", package: ferry)], swiftSettings: strict),
        .executableTarget(name: "FuzzInputFiles",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryCore", package: ferry),
                                         .product(name: "FerryInputs", package: ferry)], swiftSettings: strict),
        .executableTarget(name: "FuzzBundle",
                          dependencies: ["FuzzSupport",
                                         .product(name: "FerryCore", package: ferry),
                                         .product(name: "FerryVerify", package: ferry),
                                         .product(name: "FerryOperations", package: ferry)], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
