public import FerryCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Maps a source reference to its destination: `--to REGISTRY[/PREFIX]` keeps the source
/// repository path under the prefix; `--flatten N` drops N leading path components first.
/// The destination host comes only from here, never from names inside the bundle.
public struct DestinationMapper: Sendable {
    public let registry: String
    public let prefix: [String]
    public let flatten: Int
    /// Exact overrides (`--map SRC=DST`): normalised source → destination.
    public let overrides: [String: ImageReference]

    /// `map` holds `SRC=DST` rules: SRC a reference as written in the bundle, DST a repository
    /// path with optional tag under the destination registry (the prefix does not apply).
    public init(to destination: String, flatten: Int = 0, map: [String] = []) throws {
        var text = Substring(destination)
        for scheme in ["https://", "http://", "docker://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        while text.hasSuffix("/") { text = text.dropLast() }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, ImageReference.isValidRegistry(host), !parts.dropFirst().contains("") else {
            throw FerryOperationsError.input(path: destination, reason: "--to must be REGISTRY[/PREFIX], for example registry.local:5000/mirror")
        }
        // The reference grammar reads a first component without "." or ":" (other than
        // localhost) as a Docker Hub path: `--to mirrorhost` would send everything to
        // docker.io/mirrorhost/… (found by DestinationPropertyTests, issue 7).
        guard host.contains(".") || host.contains(":") || host == "localhost" else {
            throw FerryOperationsError.input(path: destination, reason: "--to \(host) would be read as a path on docker.io; name the registry with a '.' or a port (\(host):5000), or use localhost")
        }
        guard flatten >= 0 else { throw FerryOperationsError.input(path: destination, reason: "--flatten must not be negative") }
        registry = host
        prefix = Array(parts.dropFirst())
        self.flatten = flatten
        var overrides: [String: ImageReference] = [:]
        for rule in map {
            let sides = rule.split(separator: "=", maxSplits: 1).map(String.init)
            guard sides.count == 2, !sides[0].isEmpty, !sides[1].isEmpty else {
                throw FerryOperationsError.input(path: rule, reason: "--map takes SRC=DST, for example docker.io/library/nginx:1.27=web/nginx:stable")
            }
            do {
                let source = try ImageReference(parsing: sides[0])
                var target = try ImageReference(parsing: "\(host)/\(sides[1])")
                // DST without a tag keeps the source's tag.
                if sides[1].split(separator: "/").last?.contains(":") != true {
                    target = target.with(tag: source.tag, digest: source.digest)
                }
                overrides[source.description] = target
            } catch {
                throw FerryOperationsError.input(path: rule, reason: "\(error)")
            }
        }
        self.overrides = overrides
    }

    public func destination(for source: ImageReference) throws -> ImageReference {
        if let override = overrides[source.description] { return override }
        let components = source.repository.split(separator: "/").map(String.init)
        let kept = Array(components.dropFirst(min(flatten, components.count - 1)))
        let path = (prefix + kept).joined(separator: "/")
        var text = "\(registry)/\(path)"
        if let tag = source.tag { text += ":\(tag)" }
        if let digest = source.digest { text += "@\(digest)" }
        let mapped: ImageReference
        do {
            mapped = try ImageReference(parsing: text)
        } catch {
            throw FerryOperationsError.input(path: source.description, reason: "destination \(text) is not a valid reference: \(error)")
        }
        // The host comes from --to only, whatever the bundle named.
        guard mapped.registry == registry else {
            throw FerryOperationsError.input(path: source.description, reason: "destination \(text) would not be on \(registry)")
        }
        return mapped
    }
}

/// Shell-style globs (`docker.io/library/*`) over full image names; `*` also matches `/`.
public struct ImageFilter: Sendable {
    public let include: [String]
    public let exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func accepts(_ name: String) -> Bool {
        func matches(_ pattern: String) -> Bool { fnmatch(pattern, name, 0) == 0 }
        if !include.isEmpty && !include.contains(where: matches) { return false }
        return !exclude.contains(where: matches)
    }
}
