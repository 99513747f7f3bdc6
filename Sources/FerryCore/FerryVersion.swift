/// The version ferry reports in bundles, in its User-Agent and in `--version`.
public enum FerryVersion {
    public static let current = "0.1.0"
}
