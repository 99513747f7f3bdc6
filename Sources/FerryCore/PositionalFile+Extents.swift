#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run of a logical range that lies in one part file: what a caller needs to hand the bytes
/// to the kernel itself (`sendfile`) instead of reading them.
public struct FileExtent: Sendable, Equatable {
    /// The part's descriptor. The `PositionalFile` owns it: it is valid while that is open, and
    /// a caller that must hold it longer (a write the kernel finishes later) duplicates it.
    public let descriptor: Int32
    /// The part's path, for messages.
    public let path: String
    /// Where the run starts inside the part.
    public let offset: Int64
    public let length: Int64
}

extension PositionalFile {
    /// The runs of `[offset, offset + length)`, one per part it touches, in order. Parts are
    /// taken at their planned lengths: whether the files on disk are that long is for the
    /// caller to know (`ferry serve` has read the blob whole before it asks). Past the last
    /// part's planned end nothing is returned, so the runs' lengths then add up to less.
    public func extents(from offset: Int64, length: Int64) -> [FileExtent] {
        var runs: [FileExtent] = []
        var done: Int64 = 0
        while done < length, let (segment, partOffset, pieceLength) = piece(at: offset + done, wanting: Int(length - done)), pieceLength > 0 {
            runs.append(FileExtent(descriptor: segment.fd, path: segment.path, offset: partOffset, length: Int64(pieceLength)))
            done += Int64(pieceLength)
        }
        return runs
    }

    /// Whether every page of `[offset, offset + length)` is in the page cache at this moment,
    /// so that sending it will not wait for the disk.
    ///
    /// Why ask: `sendfile` on an event loop thread reads the file on that thread, and a page
    /// that must come from a slow disk (a USB stick) would stall every connection the loop
    /// serves; `ferry serve` sends such a range by reading it on a thread of its own instead.
    public func isCached(from offset: Int64, length: Int64) -> Bool {
        cachedExtents(from: offset, length: length) != nil
    }

    /// The runs of `[offset, offset + length)` (as `extents(from:length:)`) when every page of
    /// them is in the page cache, else nil: one pass for a caller that checks and then sends.
    /// Asked with `mincore` on a short-lived read-only mapping of each run (mapping it reads
    /// nothing). Nil also when it cannot tell (a mapping refused) or when the range runs past
    /// the planned end of the parts.
    public func cachedExtents(from offset: Int64, length: Int64) -> [FileExtent]? {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return nil }
        let runs = extents(from: offset, length: length)
        guard runs.reduce(0, { $0 + $1.length }) == length else { return nil }
        for extent in runs {
            let start = extent.offset / page * page
            let span = Int(extent.offset + extent.length - start)
            guard let base = mmap(nil, span, PROT_READ, MAP_SHARED, extent.descriptor, off_t(start)),
                  base != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
            defer { munmap(base, span) }
            var pages = [UInt8](repeating: 0, count: (span + Int(page) - 1) / Int(page))
            guard mincore(base, span, &pages) == 0, pages.allSatisfy({ $0 & 1 == 1 }) else { return nil }
        }
        return runs
    }
}
