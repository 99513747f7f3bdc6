import CArchive

/// The few steps every libarchive reader here shares: open a file with every decompression
/// filter, and turn a return code into an error carrying libarchive's own message.
enum Libarchive {
    enum ReadFormat { case tar, raw }

    /// A read handle on `path`; the caller owns it (`archive_read_free`).
    static func openReader(path: String, format: ReadFormat) throws(FerryArchiveError) -> OpaquePointer {
        guard let archive = archive_read_new() else {
            throw .libarchive(operation: "archive_read_new", code: -30, message: "out of memory", path: path)
        }
        archive_read_support_filter_all(archive)
        switch format {
        case .tar:
            archive_read_support_format_tar(archive)
            archive_read_support_format_gnutar(archive)
        case .raw:
            archive_read_support_format_raw(archive)
        }
        let code = archive_read_open_filename(archive, path, 1 << 20)
        if code < ARCHIVE_WARN {
            let failure = error(archive, code: code, operation: "open", path: path,
                                fallback: "the input is truncated or damaged (libarchive gave no reason)")
            archive_read_free(archive)
            throw failure
        }
        return archive
    }

    /// A tar reader (any compression) over bytes the caller keeps alive until it frees it.
    static func openReader(memory: UnsafeRawBufferPointer, name: String) throws(FerryArchiveError) -> OpaquePointer {
        guard let archive = archive_read_new() else {
            throw .libarchive(operation: "archive_read_new", code: -30, message: "out of memory", path: name)
        }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        let code = archive_read_open_memory(archive, memory.baseAddress, memory.count)
        if code < ARCHIVE_WARN {
            let failure = error(archive, code: code, operation: "open", path: name,
                                fallback: "the input is truncated or damaged (libarchive gave no reason)")
            archive_read_free(archive)
            throw failure
        }
        return archive
    }

    /// Throws libarchive's own message when `code` is a failure; warnings and success pass.
    static func check(_ archive: OpaquePointer, _ code: Int32, _ operation: String, path: String,
                      fallback: String = "unknown error") throws(FerryArchiveError) {
        guard code < ARCHIVE_WARN else { return }
        throw error(archive, code: code, operation: operation, path: path, fallback: fallback)
    }

    /// libarchive's message for the last failure, or `fallback` when it set none (its gzip
    /// filter fails a cut trailer with a bare ARCHIVE_FATAL).
    static func error(_ archive: OpaquePointer, code: Int32, operation: String, path: String,
                      fallback: String = "unknown error") -> FerryArchiveError {
        let message = archive_error_string(archive).map { String(cString: $0) } ?? fallback
        return .libarchive(operation: operation, code: code, message: message, path: path)
    }
}
