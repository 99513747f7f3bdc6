/// Where a paginated listing (tags, referrers) goes next, from its `Link: <…>; rel="next"`
/// header (distribution spec, "Listing Tags"), and when it must stop.
///
/// - Only a path under `/v2/` on the same registry is followed: a link to another host or
///   scheme ends the listing rather than sending the registry's credentials elsewhere.
/// - A link back to a page already read ends it too: a registry whose `Link` points at the page
///   itself used to be followed 1,000 times, every tag listed 1,000 times (issue 15, item 13).
/// - More than `maximumPages` distinct pages is an error, not a silently shortened list: a
///   missing tag is an image that never crosses the gap.
struct PageWalk {
    let maximumPages: Int
    private(set) var pages = 0
    private var seen: Set<String> = []

    init(first: String, maximumPages: Int) {
        self.maximumPages = maximumPages
        seen.insert(first)
    }

    /// Counts a page about to be requested; throws instead when it would be one more than
    /// allowed, so the extra page is never fetched.
    mutating func request(_ path: String) throws(RegistryError) {
        guard pages < maximumPages else {
            throw .unexpectedStatus(status: 200, url: path, code: nil,
                                    message: "the listing goes on past \(maximumPages) pages; refusing to return part of it")
        }
        pages += 1
    }

    /// The next path to read after a page with this `Link` header, or nil when the listing ends.
    mutating func next(link header: String?) -> String? {
        guard let link = Self.nextLink(header), link.hasPrefix("/v2/"), seen.insert(link).inserted else { return nil }
        return link
    }

    /// The target of `<…>; rel="next"`.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") || part.contains("rel=next") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            return String(part[part.index(after: open)..<close])
        }
        return nil
    }
}
