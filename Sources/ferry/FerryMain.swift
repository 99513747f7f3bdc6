import FerryCLI

/// The executable is a thin shell: the commands live in FerryCLI so tests can drive them.
/// `FerryEntry` reads the arguments from the kernel's argv (not /proc), then runs the command.
@main
enum Ferry {
    static func main() async {
        await FerryEntry.main()
    }
}
