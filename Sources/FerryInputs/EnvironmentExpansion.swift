/// `${NAME}` and `$NAME` in image-syncer auth files (`formats/sync-files/SPEC.md`, "auth.json").
///
/// Only a value that is *entirely* one variable reference is replaced, which is what
/// image-syncer's documentation promises ("if the value is a string of `${env}` or `$env`").
/// image-syncer itself runs Go's `os.ExpandEnv` over the whole value, which also rewrites a
/// literal password such as `pa$$word`; ferry keeps such passwords as written. A variable that
/// is not set is an error naming the key and field but not the variable, which may be a literal
/// password that merely looks like one (image-syncer would silently send an empty password and
/// fail later with a 401 that hides the cause).
public enum EnvironmentExpansion {
    /// The variable a value refers to, or nil when the value is a literal.
    public static func variableName(in value: String) -> String? {
        var name = Substring(value)
        if name.hasPrefix("${") && name.hasSuffix("}") {
            name = name.dropFirst(2).dropLast()
        } else if name.hasPrefix("$") {
            name = name.dropFirst()
        } else {
            return nil
        }
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
              name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
            return nil
        }
        return String(name)
    }

    /// `value` with a whole-value variable reference replaced from `environment`.
    /// `key` and `field` name the place for the error (`quay.io` and `password`).
    public static func expand(_ value: String, environment: [String: String], source: String,
                              key: String, field: String) throws(FerryInputsError) -> String {
        guard let name = variableName(in: value) else { return value }
        guard let replacement = environment[name] else {
            throw .missingVariable(source: source, key: key, field: field)
        }
        return replacement
    }
}
