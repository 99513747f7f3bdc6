/// Compact JSON written the way Go's `encoding/json` writes it, so that a chart's config and
/// manifest come out byte for byte as `helm push` makes them (issue 20): fields in the order
/// the caller gives (Go's struct order), map keys sorted by their bytes, no spaces, and Go's
/// string escaping with HTML escaping on (`<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`;
/// U+2028 and U+2029 escaped; other control characters as `\u00xx`; everything else raw UTF-8).
public indirect enum GoJSON: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    /// An object whose keys keep the order given (a Go struct).
    case object([(String, GoJSON)])
    /// A Go map: keys are written sorted.
    case map([String: GoJSON])
    case array([GoJSON])

    public static func == (lhs: GoJSON, rhs: GoJSON) -> Bool {
        lhs.encoded() == rhs.encoded()
    }

    /// The value's bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .string(let text): Self.writeString(text, into: &out)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .int(let value): out += Array(String(value).utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (number, item) in items.enumerated() {
                if number > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            Self.writeObject(fields, into: &out)
        case .map(let entries):
            let sorted = entries.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            Self.writeObject(sorted.map { ($0.key, $0.value) }, into: &out)
        }
    }

    private static func writeObject(_ fields: [(String, GoJSON)], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (number, field) in fields.enumerated() {
            if number > 0 { out.append(UInt8(ascii: ",")) }
            writeString(field.0, into: &out)
            out.append(UInt8(ascii: ":"))
            field.1.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += Array(#"\""#.utf8)
            case "\\": out += Array(#"\\"#.utf8)
            case "\n": out += Array(#"\n"#.utf8)
            case "\r": out += Array(#"\r"#.utf8)
            case "\t": out += Array(#"\t"#.utf8)
            case "\u{08}": out += Array(#"\b"#.utf8)
            case "\u{0C}": out += Array(#"\f"#.utf8)
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                writeEscape(scalar.value, into: &out)
            default:
                if scalar.value < 0x20 {
                    writeEscape(scalar.value, into: &out)
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscape(_ value: UInt32, into out: inout [UInt8]) {
        out += Array(#"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hex[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
