import CArchive

/// Reads any archive libarchive understands (tar in all its dialects, compressed with gzip,
/// zstd, xz, …) as one forward stream of entries. Owns the `struct archive *`; not `Sendable`.
public final class ArchiveReader {
    public struct Entry: Sendable {
        public var name: String
        public var size: Int64
        public var isRegularFile: Bool
        public var isDirectory: Bool
        public var symlinkTarget: String?
        public var hardlinkTarget: String?
        /// Permission bits (`archive_entry_perm`).
        public var mode: Int = 0o644
    }

    private let archive: OpaquePointer
    public let path: String
    /// The archive's bytes for `init(bytes:name:)`: libarchive reads them in place, so they
    /// live as long as the reader.
    private let memory: UnsafeMutableRawBufferPointer?

    public init(path: String) throws(FerryArchiveError) {
        archive = try Libarchive.openReader(path: path, format: .tar)
        self.path = path
        memory = nil
    }

    /// Reads an archive held in memory (a Helm chart `.tgz` of a few hundred KB); `name`
    /// stands in for the path in errors.
    public init(bytes: [UInt8], name: String) throws(FerryArchiveError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        copy.copyBytes(from: bytes)
        do {
            archive = try Libarchive.openReader(memory: UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]), name: name)
        } catch {
            copy.deallocate()
            throw error
        }
        memory = copy
        path = name
    }

    deinit {
        archive_read_free(archive)
        memory?.deallocate()
    }

    /// The next entry's header, or nil at the end.
    public func next() throws(FerryArchiveError) -> Entry? {
        var entry: OpaquePointer?
        let code = archive_read_next_header(archive, &entry)
        if code == ARCHIVE_EOF { return nil }
        try check(code, "read header")
        guard let entry else { return nil }
        let type = archive_entry_filetype(entry)
        return Entry(name: archive_entry_pathname(entry).map { String(cString: $0) } ?? "",
                     size: archive_entry_size(entry),
                     isRegularFile: type == ferry_ae_ifreg,
                     isDirectory: type == ferry_ae_ifdir,
                     symlinkTarget: archive_entry_symlink(entry).map { String(cString: $0) },
                     hardlinkTarget: archive_entry_hardlink(entry).map { String(cString: $0) },
                     mode: Int(archive_entry_perm(entry)))
    }

    /// Reads the current entry's data into `buffer`; returns the count, 0 at its end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FerryArchiveError) -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 { try check(Int32(n), "read data") }
        return n
    }

    /// Reads the whole current entry (small members only: capped at `limit`).
    public func readAll(limit: Int) throws(FerryArchiveError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var failure: FerryArchiveError?
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                do throws(FerryArchiveError) { return try read(into: raw) } catch { failure = error; return 0 }
            }
            if let failure { throw failure }
            if n == 0 { return out }
            guard out.count + n <= limit else {
                throw .libarchive(operation: "read data", code: 0, message: "member is larger than \(limit) bytes", path: path)
            }
            out += chunk[..<n]
        }
    }

    private func check(_ code: Int32, _ operation: String) throws(FerryArchiveError) {
        try Libarchive.check(archive, code, operation, path: path)
    }
}
