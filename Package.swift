// swift-tools-version: 6.1
// ferry: move container images across air gaps. Module layering is described in README.md
// ("Architecture"); each C library is imported by exactly one module.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        // Libraries only for the fuzz package (Tests/Fuzz, issue 15), which depends on this one
        // by path: a package sees another's targets only through its products.
        .library(name: "FerryCore", targets: ["FerryCore"]),
        .library(name: "FerryArchive", targets: ["FerryArchive"]),
        .library(name: "FerryRegistry", targets: ["FerryRegistry"]),
        .library(name: "FerryFormat", targets: ["FerryFormat"]),
        .library(name: "FerryVerify", targets: ["FerryVerify"]),
        .library(name: "FerryOperations", targets: ["FerryOperations"]),
        .library(name: "FerryPlan", targets: ["FerryPlan"]),
        .library(name: "FerryInputs", targets: ["FerryInputs"]),
        .library(name: "FerryServe", targets: ["FerryServe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        // YAML for the input files users bring (image-syncer, skopeo sync, Kubernetes manifests).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // The HTTP server of `ferry serve` (issue 19), on SwiftNIO. Traits off: no
        // swift-configuration, and Foundation only as the rest of ferry already links it.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0", traits: []),
        // Named for what FerryServe uses directly (ByteBuffer and the event loops, HTTPField,
        // ServiceGroup's graceful shutdown); Hummingbird brings them all anyway.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // `ferry serve --tls-cert` (swift-nio-ssl) and `--htpasswd` (bcrypt, HummingbirdBcrypt
        // alone: no other part of hummingbird-auth is linked).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    ],
    targets: [
        // C libraries (Debian -dev packages), each behind one Swift module.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),

        // Linux file calls Swift's Glibc module hides (sync_file_range).
        .target(name: "CFerrySystem", path: "Sources/CFerrySystem"),
        // What a portable release binary needs from C (issue 14): argv captured before the Swift
        // runtime looks for /proc, the build stamp, and glibc symbol-version shims that
        // scripts/build-release links in with --wrap. Used by FerryCLI only.
        .target(name: "CFerryPortable", path: "Sources/CFerryPortable", linkerSettings: [.linkedLibrary("m")]),

        .target(name: "FerryCore",
                dependencies: ["CFerrySystem", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .target(name: "FerryArchive", dependencies: ["FerryCore", "CArchive"], swiftSettings: strict),
        .target(name: "FerryHTTP", dependencies: ["FerryCore", "CCurl"], swiftSettings: strict),
        .target(name: "FerryRegistry",
                dependencies: ["FerryCore", "FerryHTTP", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // Bundles, layouts and archives on disk: read, write, check their structure. No network.
        .target(name: "FerryFormat", dependencies: ["FerryCore", "FerryArchive"], swiftSettings: strict),
        // `ferry verify`: proves a bundle or archive complete and untouched. No network.
        .target(name: "FerryVerify", dependencies: ["FerryCore", "FerryArchive", "FerryFormat"], swiftSettings: strict),
        // Moving images: resolve in a source, copy blobs into a destination, publish into a
        // registry. Knows no file format (destinations come in through FerryCore's contracts).
        .target(name: "FerryTransfer", dependencies: ["FerryCore", "FerryHTTP", "FerryRegistry"], swiftSettings: strict),
        // Client configuration that makes clusters pull original names from the isolated
        // registry (registries.conf, containerd hosts.toml, k3s, OpenShift mirror sets). Text only.
        .target(name: "FerryMirrors", swiftSettings: strict),
        // Migration plans (issue 18): the plan file, shard assignment and shard selection.
        // Pure values and arithmetic; the planning run that resolves images is a use case.
        .target(name: "FerryPlan", dependencies: ["FerryCore"], swiftSettings: strict),
        // The use cases: export, import, copy/sync, inspect. The only code that builds reports.
        .target(name: "FerryOperations",
                dependencies: ["FerryCore", "FerryArchive", "FerryFormat", "FerryHTTP", "FerryMirrors", "FerryPlan", "FerryRegistry",
                               "FerryTransfer"],
                swiftSettings: strict),
        // `ferry serve` (issue 19): a read-only registry out of bundles. Above the format module;
        // nothing but the CLI depends on it, so Hummingbird and SwiftNIO stay out of the rest.
        .target(name: "FerryServe",
                dependencies: ["FerryCore", "FerryArchive", "FerryFormat",
                               .product(name: "HummingbirdCore", package: "hummingbird"),
                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                               .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // Input files users already have: image-syncer / SWR auth.json and images.json|yaml,
        // skopeo sync YAML, Kubernetes manifests (issue 6). Kept out of FerryCore for Yams.
        .target(name: "FerryInputs",
                dependencies: ["FerryCore", "FerryRegistry", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // Charts from classic Helm chart repositories (and, next, plain files) made into OCI
        // artifacts as `helm push` makes them, behind an image source, so export carries them
        // like any artifact (issue 20).
        .target(name: "FerryArtifacts",
                dependencies: ["FerryCore", "FerryArchive", "FerryHTTP", "FerryRegistry", "FerryInputs"],
                swiftSettings: strict),
        .target(name: "FerryCLI",
                dependencies: ["CFerryPortable", "FerryCore", "FerryArchive", "FerryHTTP", "FerryRegistry", "FerryFormat", "FerryVerify",
                               "FerryTransfer", "FerryOperations", "FerryMirrors", "FerryInputs", "FerryPlan",
                               "FerryServe", "FerryArtifacts",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "ferry",
                          dependencies: ["FerryCLI"],
                          swiftSettings: strict),

        // Test support: starts real registries (Debian docker-registry), a token server,
        // a fault-injecting proxy, and pushes generated images. Not shipped.
        .target(name: "FerryTestSupport", path: "Tests/FerryTestSupport",
                resources: [.copy("Resources")]),

        .testTarget(name: "FerryCoreTests", dependencies: ["FerryCore", "FerryTestSupport"], swiftSettings: strict),
        .testTarget(name: "FerryArchiveTests", dependencies: ["FerryArchive", "FerryCore", "FerryTestSupport"], swiftSettings: strict),
        .testTarget(name: "FerryRegistryTests",
                    dependencies: ["FerryRegistry", "FerryHTTP", "FerryCore", "FerryTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FerryFormatTests",
                    dependencies: ["FerryFormat", "FerryArchive", "FerryCore", "FerryTestSupport"], swiftSettings: strict),
        .testTarget(name: "FerryVerifyTests",
                    dependencies: ["FerryVerify", "FerryFormat", "FerryArchive", "FerryCore", "FerryTestSupport"], swiftSettings: strict),
        .testTarget(name: "FerryMirrorsTests",
                    dependencies: ["FerryMirrors", "FerryTestSupport", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .testTarget(name: "FerryOperationsTests",
                    dependencies: ["FerryOperations", "FerryPlan", "FerryVerify", "FerryFormat", "FerryTransfer", "FerryArchive", "FerryRegistry",
                                   "FerryHTTP", "FerryCore", "FerryTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FerryArtifactsTests",
                    dependencies: ["FerryArtifacts", "FerryInputs", "FerryRegistry", "FerryHTTP", "FerryCore", "FerryTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FerryServeTests", dependencies: ["FerryServe", "FerryCore"], swiftSettings: strict),
        .testTarget(name: "FerryPlanTests", dependencies: ["FerryPlan", "FerryCore"], swiftSettings: strict),
        .testTarget(name: "FerryInputsTests",
                    dependencies: ["FerryInputs", "FerryRegistry", "FerryHTTP", "FerryCore", "FerryTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FerryCLITests", dependencies: ["CFerryPortable", "FerryCore", "FerryHTTP", "FerryRegistry", "FerryTestSupport"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
