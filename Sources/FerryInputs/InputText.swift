public import Foundation

/// Reading input files as UTF-8 text, with errors that name the file.
public enum InputText {
    /// The file at `path` as text.
    public static func read(path: String) throws(FerryInputsError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(source: path, reason: "cannot read the file")
        }
        return try decode(data, source: path)
    }

    /// `data` as UTF-8 text (a leading BOM is dropped); `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws(FerryInputsError) -> String {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // a BOM from Windows editors
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw .unreadable(source: source, reason: "is not UTF-8 text")
        }
        return text
    }
}
