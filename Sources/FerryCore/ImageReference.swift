/// A normalised image reference: `registry/repository[:tag][@digest]`.
///
/// Follows the docker reference grammar (distribution's `reference` package) and Docker's
/// normalisation: a name without a registry is on `docker.io`, and a single-component
/// repository on Docker Hub lives under `library/`. `index.docker.io` is spelled `docker.io`.
/// Parsing happens once, before any network traffic, and everything downstream uses the typed
/// parts. Examples and edge cases: `formats/image-list/examples/references.tsv`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// Registry host, with port when given: `docker.io`, `quay.io`, `127.0.0.1:5000`.
    public let registry: String
    /// Repository path inside the registry: `library/nginx`.
    public let repository: String
    /// Tag, or nil. A reference with neither tag nor digest gets `latest`.
    public let tag: String?
    /// Digest pin, or nil. When present it is the identity of the image; the tag is informative.
    public let digest: Digest?

    public static let dockerHub = "docker.io"

    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// skopeo transports that name local stores rather than registries.
    static let localTransports = ["oci:", "oci-archive:", "docker-archive:", "dir:", "containers-storage:", "docker-daemon:"]

    /// Parses and normalises `text`. A leading `docker://` (skopeo's registry transport) is
    /// accepted and dropped.
    public init(parsing text: String) throws(FerryCoreError) {
        func fail(_ reason: String) -> FerryCoreError { .invalidReference(text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty reference") }
        // Long enough for the longest canonical form the parts allow (a 253-character host with
        // a port, a 255-character path, a tag, a sha512 digest), so a canonical form always
        // parses again (found by FuzzReference: a 646-character reference took ":latest" and
        // no longer fit the old 652-character limit).
        guard text.utf8.count <= 1024 else { throw fail("too long") }
        guard !text.contains(where: { $0.isWhitespace }) else { throw fail("contains whitespace") }
        // skopeo's transport syntax (issue 15, item 20): `docker://` names a registry image, which
        // is what a reference is, so it is dropped. The other transports name local stores, which
        // ferry takes as paths; say so rather than "bad registry host".
        if text.hasPrefix("docker://") {
            self = try ImageReference(parsing: String(text.dropFirst("docker://".count)))
            return
        }
        for transport in Self.localTransports where text.hasPrefix(transport) {
            // "oci:5000/app" is a host called oci with a port, and "oci:latest" the Docker Hub
            // image library/oci (its familiar RepoTag, which ferry writes and must read back;
            // found by fuzzing): only a path or a reference after the prefix is the transport.
            let rest = text.dropFirst(transport.count)
            guard let next = rest.first, next.isNumber || !(rest.contains("/") || rest.contains(":")) else {
                throw fail("\(transport) is a skopeo transport for local images; ferry takes registry references here (docker:// may be given or left out), and archives or layouts as paths to import, verify or inspect")
            }
        }

        var remainder = Substring(text)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            do {
                digest = try Digest(parsing: String(remainder[remainder.index(after: at)...]))
            } catch {
                throw fail("bad digest: \(error.description)")
            }
            remainder = remainder[..<at]
        }
        var tag: String?
        if let colon = remainder.lastIndex(of: ":"), !remainder[colon...].contains("/") {
            let candidate = String(remainder[remainder.index(after: colon)...])
            guard Self.isValidTag(candidate) else {
                throw fail(candidate.isEmpty ? "empty tag" : "bad tag \"\(candidate.prefix(140))\" (letters, digits, _ . -; at most 128; not starting with . or -)")
            }
            tag = candidate
            remainder = remainder[..<colon]
        }
        guard !remainder.isEmpty else { throw fail("missing repository name") }

        var registry = Self.dockerHub
        var path = String(remainder)
        if let slash = remainder.firstIndex(of: "/") {
            let first = String(remainder[..<slash])
            // As containers/image: only a first component with "." or ":" or "localhost" is a
            // registry, so "MyOrg/app" is an invalid repository rather than a host.
            if first.contains(".") || first.contains(":") || first == "localhost" {
                guard Self.isValidRegistry(first) else { throw fail("bad registry host \"\(first)\"") }
                registry = first
                path = String(remainder[remainder.index(after: slash)...])
            }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for component in components where !Self.isValidPathComponent(component) {
            throw fail(component.isEmpty
                       ? "empty path component"
                       : "bad repository component \"\(component.prefix(100))\" (lowercase letters, digits, and single . _ __ or runs of - between them)")
        }
        if registry == Self.dockerHub && components.count == 1 { path = "library/" + path }
        guard path.utf8.count <= 255 else { throw fail("repository path longer than 255 characters") }
        // A bare 64-hex name looks like an image ID; Docker refuses it as a name, and so do we.
        if registry == Self.dockerHub && components.count == 1 && path.utf8.count == 64 + "library/".count
            && remainder.utf8.count == 64 && remainder.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            throw fail("a 64-character hex string is an image ID, not a name")
        }
        if tag == nil && digest == nil { tag = "latest" }
        self.init(registry: registry, repository: path, tag: tag, digest: digest)
    }

    /// The canonical full form: `docker.io/library/nginx:1.27`, `reg/app@sha256:…`,
    /// `reg/app:1@sha256:…`.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// `registry/repository` without tag or digest.
    public var name: String { "\(registry)/\(repository)" }

    /// What to ask the registry for: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// Docker's "familiar" short form used for `RepoTags`: `nginx:1.27`, `org/app:1`,
    /// `quay.io/org/app:2`. Nil when the reference has no tag (docker-archive names are tags).
    public var familiarTag: String? {
        guard let tag else { return nil }
        var name = self.name
        if registry == Self.dockerHub {
            name = repository.hasPrefix("library/") && repository.split(separator: "/").count == 2
                ? String(repository.dropFirst("library/".count)) : repository
        }
        return "\(name):\(tag)"
    }

    /// The same repository with another tag or digest.
    public func with(tag: String?, digest: Digest?) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// Docker Hub under any of the host names clients use for it (`index.docker.io`,
    /// `registry-1.docker.io`, `registry.hub.docker.com`) is `docker.io`; other hosts as given.
    public static func canonicalRegistry(_ host: String) -> String {
        ["registry.hub.docker.com", "index.docker.io", "registry-1.docker.io"].contains(host) ? dockerHub : host
    }

    public static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f
        }
        return word(first) && tag.utf8.allSatisfy { word($0) || $0 == 0x2e || $0 == 0x2d }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    public static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard !bytes.isEmpty else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) }
        var i = 0
        while i < bytes.count {
            guard alnum(bytes[i]) else { return false }
            while i < bytes.count && alnum(bytes[i]) { i += 1 }
            if i == bytes.count { return true }
            let start = i
            if bytes[i] == 0x2e {
                i += 1
            } else if bytes[i] == 0x5f {
                i += 1
                if i < bytes.count && bytes[i] == 0x5f { i += 1 }
            } else if bytes[i] == 0x2d {
                while i < bytes.count && bytes[i] == 0x2d { i += 1 }
            } else {
                return false
            }
            guard i > start, i < bytes.count else { return false }
        }
        return true
    }

    private static func isASCIIHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    /// `host[:port]` where host is DNS labels or an IPv4 address or a bracketed IPv6 address.
    public static func isValidRegistry(_ text: String) -> Bool {
        var host = Substring(text)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            // ASCII only: `Character.isHexDigit` also accepts full-width digits and letters
            // (found by ParsingPropertyTests.lookAlikesAreRejected, issue 7).
            guard !inside.isEmpty, inside.utf8.allSatisfy({ Self.isASCIIHexDigit($0) || $0 == UInt8(ascii: ":") }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            let port = host.dropFirst()
            return !port.isEmpty && port.count <= 5 && port.allSatisfy(\.isASCIIDigitCharacter)
        }
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigitCharacter) else { return false }
            host = host[..<colon]
        }
        // A DNS name has at most 253 characters.
        guard host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            guard let first = label.first, let last = label.last, label.count <= 63 else { return false }
            return first.isASCIIAlnum && last.isASCIIAlnum && label.allSatisfy { $0.isASCIIAlnum || $0 == "-" }
        }
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
    var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
}
