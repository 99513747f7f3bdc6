import ArgumentParser
import FerryCLI

/// The executable is a thin shell: the commands live in FerryCLI so tests can drive them.
/// The async root must carry `@main` itself, hence this one-line type.
@main
struct Ferry: AsyncParsableCommand {
    static let configuration = FerryCommand.configuration
}
