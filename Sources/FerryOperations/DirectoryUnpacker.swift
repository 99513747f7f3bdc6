import FerryArchive
import FerryCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Unpacks a directory layer (tar+gzip, entries `TITLE` and `TITLE/…`) for `ferry extract`
/// (issue 20), from a copy of the layer that already matched its digest.
///
/// Every entry must be a directory or a regular file whose path is `TITLE` followed by plain
/// components (no `..`, no empty or absolute parts); anything else (a link, a device, a name
/// outside `TITLE`) stops the run before the directory appears. Entries are written into a
/// hidden staging directory that holds nothing ferry did not create, so no link can redirect
/// a write, and it is renamed to `TITLE` only when complete. Directory modes are applied last,
/// deepest first, so a read-only directory does not block its own contents.
enum DirectoryUnpacker {
    struct Entry {
        var relative: [String]
        var isDirectory: Bool
        var mode: Int
    }

    /// Why an archive cannot be unpacked; nil when every entry is acceptable.
    static func check(_ entry: ArchiveReader.Entry, title: String) -> (Entry?, String?) {
        let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var components = parts
        if components.last == "" { components.removeLast() }
        guard components.first == title else { return (nil, "entry \"\(entry.name.prefix(200))\" is outside \(title)/") }
        let relative = Array(components.dropFirst())
        guard relative.allSatisfy(FileSystem.isPlainFileName) else {
            return (nil, "entry \"\(entry.name.prefix(200))\" is not a plain path (empty, . or .. components)")
        }
        guard entry.isDirectory || entry.isRegularFile, entry.symlinkTarget == nil, entry.hardlinkTarget == nil else {
            return (nil, "entry \"\(entry.name.prefix(200))\" is not a regular file or directory")
        }
        guard entry.isDirectory || !relative.isEmpty else { return (nil, "\(title) itself is a file, not a directory") }
        // Permission bits only: a bundle never makes a setuid, setgid or sticky file.
        return (Entry(relative: relative, isDirectory: entry.isDirectory, mode: entry.mode & 0o777), nil)
    }

    /// Whether `existing` already holds every entry of the archive with the same bytes.
    static func matches(archive: String, title: String, existing: String) throws -> Bool {
        let reader = try ArchiveReader(path: archive)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while let header = try reader.next() {
            guard let entry = check(header, title: title).0 else { return false }
            let path = ([existing] + entry.relative).joined(separator: "/")
            if entry.isDirectory {
                guard FileSystem.isDirectory(path) else { return false }
                continue
            }
            guard FileSystem.fileSize(path) == header.size else { return false }
            let file = try PositionalFile(path: path, flags: O_RDONLY)
            defer { try? file.close() }
            var offset: Int64 = 0
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                let theirs = try file.read(count: n, at: offset)
                guard theirs.elementsEqual(buffer[0..<n]) else { return false }
                offset += Int64(n)
            }
        }
        return true
    }

    /// Unpacks `archive` to `destination` (which must not exist).
    static func unpack(archive: String, title: String, to destination: String, location: String) throws {
        let staging = FileSystem.temporaryName(for: destination)
        guard mkdir(staging, 0o700) == 0 else { throw FerryCoreError.io(operation: "mkdir", path: staging, errno: errno) }
        // Removed on failure, and by the signal handler on an interrupt, like every scratch path.
        FileSystem.rememberScratch(staging)
        var done = false
        defer {
            if done {
                FileSystem.forgetScratch(staging)
            } else {
                FileSystem.makeRemovable(staging)
                FileSystem.removeScratch(staging)
            }
        }
        var directoryModes: [(path: String, mode: Int)] = []
        let reader = try ArchiveReader(path: archive)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while let header = try reader.next() {
            let (checked, problem) = check(header, title: title)
            guard let entry = checked else {
                throw FerryOperationsError.input(path: location, reason: "\(title): \(problem ?? "bad entry"); refusing to unpack it")
            }
            let path = ([staging] + entry.relative).joined(separator: "/")
            try FileSystem.makeDirectories(entry.isDirectory ? path : FileSystem.directoryName(path))
            if entry.isDirectory {
                directoryModes.append((path, entry.mode))
                continue
            }
            let file: PositionalFile
            do { file = try PositionalFile(path: path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) } catch {
                if case .io(_, _, EEXIST) = error {
                    throw FerryOperationsError.input(path: location, reason: "\(title): entry \(entry.relative.joined(separator: "/")) appears twice")
                }
                throw error
            }
            defer { try? file.close() }
            var offset: Int64 = 0
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: offset) }
                offset += Int64(n)
            }
            try file.sync()
            guard chmod(path, mode_t(entry.mode)) == 0 else { throw FerryCoreError.io(operation: "chmod", path: path, errno: errno) }
        }
        for (path, mode) in directoryModes.sorted(by: { $0.path.count > $1.path.count }) {
            guard chmod(path, mode_t(mode)) == 0 else { throw FerryCoreError.io(operation: "chmod", path: path, errno: errno) }
        }
        try FileSystem.commitRename(from: staging, to: destination)
        done = true
    }
}
