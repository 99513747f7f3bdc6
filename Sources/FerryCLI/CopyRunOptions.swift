import ArgumentParser
import FerryCore
import FerryOperations

/// The options `ferry copy` and `ferry sync` share: what to copy of each image and how.
struct CopyRunOptions: ParsableArguments {
    @Option(name: .customLong("platform"), help: ArgumentHelp("Copy only this platform (os/arch[/variant]); repeatable. Default: all.", valueName: "platform"))
    var platforms: [String] = []

    @Flag(name: .customLong("no-referrers"), help: "Leave out signatures, attestations, SBOMs and other referrers attached to the images.")
    var noReferrers = false

    @Flag(name: .customLong("keep-going"), help: "Go on with the other images when one fails; report every failure at the end (exit non-zero).")
    var keepGoing = false

    @Flag(name: .customLong("dry-run"), help: "Resolve the sources and print the plan; send nothing.")
    var dryRun = false

    @Option(name: [.customShort("j"), .customLong("jobs"), .customLong("proc")], help: "Blobs copied in parallel (each holds a download and an upload). --proc is image-syncer's name for it.")
    var jobs: Int = 4

    func validate() throws {
        guard (1...32).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 32") }
    }

    /// Copy options for `requests`.
    func options(_ requests: [CopyRequest]) throws -> CopyOptions {
        var options = CopyOptions(requests: requests)
        options.platforms = try platforms.map { try Platform(parsing: $0) }
        options.referrers = !noReferrers
        options.keepGoing = keepGoing
        options.dryRun = dryRun
        options.jobs = jobs
        return options
    }
}
