/// Columns as wide as their widest cell, so long names and full digests stay aligned (issue
/// 17: the inspect table lost its alignment on long names, and digests were cut to 12 hex
/// characters, which a user cannot paste into `skopeo inspect` or a Pod spec).
struct TextTable {
    private var rows: [[String]] = []

    init(header: [String]? = nil) {
        if let header { rows.append(header) }
    }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The lines, two spaces between columns, no trailing spaces.
    var lines: [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
