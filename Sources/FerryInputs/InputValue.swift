import Foundation
import Yams

/// A parsed YAML or JSON value with mapping order kept, so rules are resolved and reported in
/// the order the user wrote them. Every input format in this module is read through it, which
/// keeps Yams behind one file (`YAMLReader`).
public indirect enum InputValue: Sendable, Equatable {
    /// `~`, `null`, or nothing after a key.
    case null
    /// A scalar; `quoted` is true for `'…'`/`"…"` (so `"true"` stays a string and `""` is an
    /// empty string rather than null).
    case scalar(String, quoted: Bool)
    case sequence([InputValue])
    /// Keys in file order; keys are scalars (other keys are refused while parsing).
    case mapping([(key: String, value: InputValue)])

    public static func == (lhs: InputValue, rhs: InputValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.scalar(a, qa), .scalar(b, qb)): return a == b && qa == qb
        case let (.sequence(a), .sequence(b)): return a == b
        case let (.mapping(a), .mapping(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The text of a scalar, nil for anything else.
    public var string: String? {
        if case .scalar(let text, _) = self { return text }
        return nil
    }

    /// The entries of a mapping, nil for anything else.
    public var entries: [(key: String, value: InputValue)]? {
        if case .mapping(let entries) = self { return entries }
        return nil
    }

    /// The value under `key` in a mapping (the last one if a key repeats).
    public subscript(key: String) -> InputValue? {
        entries?.last { $0.key == key }?.value
    }

    /// YAML 1.1/1.2 booleans as Go's yaml.v3 and Kubernetes read them (`true`, `True`, `TRUE`, …).
    public var bool: Bool? {
        guard case .scalar(let text, _) = self else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// "a number" or "a boolean" for an unquoted scalar that YAML (1.1 or the 1.2 core schema)
    /// or JSON reads as one: `5`, `127.0`, `0x1f`, `.inf`, `true`, `yes`; nil for a string.
    /// Where a name is expected, such a value is a mistake (issue 15, item 10: `5` became
    /// `docker.io/library/5`); quoting it makes it a string.
    public var nonStringKind: String? {
        guard case .scalar(let text, let quoted) = self, !quoted else { return nil }
        if bool != nil { return "a boolean" }
        let number = #/[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?|\.(inf|Inf|INF)|\.(nan|NaN|NAN))/#
        return text.wholeMatch(of: number) != nil ? "a number" : nil
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .scalar: return "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// Parses YAML (and JSON, which YAML 1.2 contains) into `InputValue`s.
///
/// Error messages carry the line and column and the parser's problem, never a snippet of the
/// file: auth files hold passwords, and Yams' own descriptions quote the offending line.
public enum YAMLReader {
    /// Every document of a multi-document stream (`---` separated). Empty documents are `.null`.
    public static func documents(_ text: String, source: String) throws(FerryInputsError) -> [InputValue] {
        do {
            var values: [InputValue] = []
            let parser = try Parser(yaml: text)
            var budget = maximumValues
            while let node = try parser.nextRoot() {
                values.append(try convert(node, source: source, path: "", budget: &budget))
            }
            return values
        } catch let error as FerryInputsError {
            throw error
        } catch {
            throw .syntax(source: source, reason: describe(error))
        }
    }

    /// The documents before the first syntax error, and that error (the document after the
    /// returned ones is the broken one). For discovery, which reports and goes on.
    public static func documentsUpToError(_ text: String, source: String) -> (documents: [InputValue], error: FerryInputsError?) {
        var values: [InputValue] = []
        do {
            let parser = try Parser(yaml: text)
            var budget = maximumValues
            while let node = try parser.nextRoot() {
                values.append(try convert(node, source: source, path: "", budget: &budget))
            }
            return (values, nil)
        } catch let error as FerryInputsError {
            return (values, error)
        } catch {
            return (values, .syntax(source: source, reason: describe(error)))
        }
    }

    /// A file that must hold exactly one document (JSON or YAML); nil when it is empty.
    public static func single(_ text: String, source: String) throws(FerryInputsError) -> InputValue? {
        let all = try documents(text, source: source)
        guard all.count <= 1 else {
            throw .shape(source: source, path: "", reason: "holds \(all.count) YAML documents; one was expected")
        }
        return all.first
    }

    /// How many values (scalars, lists, mappings) one file may expand to. YAML aliases repeat
    /// what their anchor holds, so nine levels of ten aliases each make a 1 KB file a billion
    /// values (issue 15, item 9). Kubernetes manifests and sync files may use anchors, so they
    /// are allowed, but the expansion is bounded: a million values is far beyond any real file.
    public static let maximumValues = 1_000_000

    private static func convert(_ node: Node, source: String, path: String, budget: inout Int) throws(FerryInputsError) -> InputValue {
        budget -= 1
        guard budget >= 0 else {
            let line = node.mark.map { " (line \($0.line))" } ?? ""
            throw .shape(source: source, path: path,
                         reason: "expands to more than \(maximumValues) values\(line); YAML aliases that repeat an anchor over and over are refused")
        }
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            if !quoted && scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return .null
            }
            return .scalar(scalar.string, quoted: quoted || scalar.style == .literal || scalar.style == .folded)
        case .sequence(let sequence):
            var items: [InputValue] = []
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, source: source, path: "\(path)[\(index)]", budget: &budget))
            }
            return .sequence(items)
        case .mapping(let mapping):
            var entries: [(key: String, value: InputValue)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw .shape(source: source, path: path, reason: "a mapping key is not a string")
                }
                let child = path.isEmpty ? keyScalar.string : "\(path).\(keyScalar.string)"
                entries.append((keyScalar.string, try convert(value, source: source, path: child, budget: &budget)))
            }
            return .mapping(entries)
        case .alias:
            throw .shape(source: source, path: path, reason: "unresolved YAML alias")
        }
    }

    /// "line 3, column 7: mapping values are not allowed in this context".
    static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "unreadable" }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        case let .reader(problem, offset, _, _):
            return "\(problem)\(offset.map { " at byte \($0)" } ?? "")"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated keys \(duplicates.sorted().joined(separator: ", "))"
        case .dataCouldNotBeDecoded:
            return "not UTF-8 text"
        default:
            return "unreadable"
        }
    }
}
