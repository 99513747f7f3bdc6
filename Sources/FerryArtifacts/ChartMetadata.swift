public import FerryInputs

/// A chart's `Chart.yaml`, read as Helm reads it (`chart.Metadata` after `Validate()`), so the
/// config blob ferry writes is the one `helm push` writes for the same `.tgz` (issue 20).
///
/// Helm parses Chart.yaml through sigs.k8s.io/yaml: an unquoted number where Helm expects a
/// string becomes Go's shortest form of it (`appVersion: 1.10` is `"1.1"`), and `Validate()`
/// turns every white-space character of most fields into a space and drops unprintable ones.
/// Both happen here too. Annotations are kept as written.
public struct ChartMetadata: Sendable, Equatable {
    public struct Maintainer: Sendable, Equatable {
        public var name = "", email = "", url = ""

        public init(name: String = "", email: String = "", url: String = "") {
            self.name = name
            self.email = email
            self.url = url
        }
    }

    public struct Dependency: Sendable, Equatable {
        public var name = "", version = "", repository = "", condition = "", alias = ""
        public var tags: [String] = []
        public var enabled = false
        public var importValues: [GoJSON] = []

        public init() {}
    }

    public var name = "", home = "", version = "", description = "", icon = "", apiVersion = ""
    public var condition = "", tags = "", appVersion = "", kubeVersion = "", type = ""
    public var sources: [String] = [], keywords: [String] = []
    public var maintainers: [Maintainer] = []
    public var deprecated = false
    public var annotations: [String: String] = [:]
    public var dependencies: [Dependency] = []

    public init() {}

    /// Reads a parsed Chart.yaml; `source` names it in errors.
    public init(_ value: InputValue, source: String) throws(FerryArtifactsError) {
        guard value.entries != nil else {
            throw .chart(source, reason: "Chart.yaml is \(value.kindName), not a mapping")
        }
        func text(_ key: String) -> String { Self.goString(value[key]) }
        func list(_ key: String) -> [String] { value[key].flatMap(Self.sequence)?.map(Self.goString) ?? [] }
        name = Self.sanitize(text("name"))
        home = Self.sanitize(text("home"))
        version = text("version")
        description = Self.sanitize(text("description"))
        icon = Self.sanitize(text("icon"))
        apiVersion = text("apiVersion")
        condition = Self.sanitize(text("condition"))
        tags = Self.sanitize(text("tags"))
        appVersion = Self.sanitize(text("appVersion"))
        kubeVersion = Self.sanitize(text("kubeVersion"))
        type = text("type")
        sources = list("sources").map(Self.sanitize)
        keywords = list("keywords").map(Self.sanitize)
        deprecated = value["deprecated"]?.bool ?? false
        for (key, entry) in value["annotations"]?.entries ?? [] {
            annotations[key] = Self.goString(entry)
        }
        for item in value["maintainers"].flatMap(Self.sequence) ?? [] {
            maintainers.append(Maintainer(name: Self.sanitize(Self.goString(item["name"])),
                                          email: Self.sanitize(Self.goString(item["email"])),
                                          url: Self.sanitize(Self.goString(item["url"]))))
        }
        for item in value["dependencies"].flatMap(Self.sequence) ?? [] {
            var dependency = Dependency()
            dependency.name = Self.sanitize(Self.goString(item["name"]))
            dependency.version = Self.sanitize(Self.goString(item["version"]))
            dependency.repository = Self.sanitize(Self.goString(item["repository"]))
            dependency.condition = Self.sanitize(Self.goString(item["condition"]))
            dependency.alias = Self.goString(item["alias"])
            dependency.tags = (item["tags"].flatMap(Self.sequence) ?? []).map { Self.sanitize(Self.goString($0)) }
            dependency.enabled = item["enabled"]?.bool ?? false
            dependency.importValues = (item["import-values"].flatMap(Self.sequence) ?? []).map(Self.anyValue)
            dependencies.append(dependency)
        }
        guard !name.isEmpty else { throw .chart(source, reason: "Chart.yaml has no name") }
        guard !version.isEmpty else { throw .chart(source, reason: "Chart.yaml has no version") }
    }

    /// `json.Marshal(chart.Metadata)`: Go's field order, every empty field left out except a
    /// dependency's name and repository (Helm's tags have no `omitempty` there).
    public func configJSON() -> [UInt8] {
        var fields: [(String, GoJSON)] = []
        func add(_ key: String, _ text: String) { if !text.isEmpty { fields.append((key, .string(text))) } }
        func add(_ key: String, _ list: [String]) { if !list.isEmpty { fields.append((key, .array(list.map(GoJSON.string)))) } }
        add("name", name)
        add("home", home)
        add("sources", sources)
        add("version", version)
        add("description", description)
        add("keywords", keywords)
        if !maintainers.isEmpty {
            fields.append(("maintainers", .array(maintainers.map { maintainer in
                var item: [(String, GoJSON)] = []
                if !maintainer.name.isEmpty { item.append(("name", .string(maintainer.name))) }
                if !maintainer.email.isEmpty { item.append(("email", .string(maintainer.email))) }
                if !maintainer.url.isEmpty { item.append(("url", .string(maintainer.url))) }
                return .object(item)
            })))
        }
        add("icon", icon)
        add("apiVersion", apiVersion)
        add("condition", condition)
        add("tags", tags)
        add("appVersion", appVersion)
        if deprecated { fields.append(("deprecated", .bool(true))) }
        if !annotations.isEmpty { fields.append(("annotations", .map(annotations.mapValues(GoJSON.string)))) }
        add("kubeVersion", kubeVersion)
        if !dependencies.isEmpty {
            fields.append(("dependencies", .array(dependencies.map { dependency in
                var item: [(String, GoJSON)] = [("name", .string(dependency.name))]
                if !dependency.version.isEmpty { item.append(("version", .string(dependency.version))) }
                item.append(("repository", .string(dependency.repository)))
                if !dependency.condition.isEmpty { item.append(("condition", .string(dependency.condition))) }
                if !dependency.tags.isEmpty { item.append(("tags", .array(dependency.tags.map(GoJSON.string)))) }
                if dependency.enabled { item.append(("enabled", .bool(true))) }
                if !dependency.importValues.isEmpty { item.append(("import-values", .array(dependency.importValues))) }
                if !dependency.alias.isEmpty { item.append(("alias", .string(dependency.alias))) }
                return .object(item)
            })))
        }
        add("type", type)
        return GoJSON.object(fields).encoded()
    }

    /// Helm's `sanitizeString`: white space becomes a space, unprintable characters go.
    static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                out.append(" ")
            } else if isPrintable(scalar) {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return scalar == " "
        }
    }

    static func sequence(_ value: InputValue) -> [InputValue]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// A YAML value where Helm expects a string, as sigs.k8s.io/yaml turns it into one: an
    /// unquoted integer or float in Go's shortest form (`1.10` → `1.1`, `2.0` → `2`), a
    /// boolean as `true`/`false`, null and non-scalars as "".
    static func goString(_ value: InputValue?) -> String {
        guard case .scalar(let text, let quoted)? = value else { return "" }
        if quoted { return text }
        if let bool = value?.bool { return bool ? "true" : "false" }
        guard value?.nonStringKind == "a number" else { return text }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if let integer = Int64(plain) { return String(integer) }
        if let number = Double(plain), number.isFinite {
            if number == number.rounded(), abs(number) < 1e21 { return String(Int64(number)) }
            return "\(number)"
        }
        return text
    }

    /// An `import-values` entry as Go marshals the `interface{}` sigs.k8s.io/yaml made of it:
    /// strings stay strings, mappings become sorted maps.
    static func anyValue(_ value: InputValue) -> GoJSON {
        switch value {
        case .mapping(let entries):
            var map: [String: GoJSON] = [:]
            for (key, item) in entries { map[key] = anyValue(item) }
            return .map(map)
        case .sequence(let items): return .array(items.map(anyValue))
        case .scalar(let text, let quoted):
            if !quoted, let bool = value.bool { return .bool(bool) }
            if !quoted, let integer = Int64(text) { return .int(integer) }
            return .string(text)
        case .null: return .string("")
        }
    }
}
