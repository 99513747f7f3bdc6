/// The planned byte layout of a tar file: where each member's header and data go.
///
/// Planning first lets a writer fill the data of many members at once, each at its own
/// offset, because every header size and padding is known before the first byte is written.
public struct TarLayout: Sendable {
    /// One planned member.
    public struct Slot: Sendable {
        public let member: TarMember
        public let headerOffset: Int64
        /// Where the member's data starts; its end is `dataOffset + member.size`.
        public let dataOffset: Int64

        /// The encoded header (with its pax header when one was needed), encoded again when
        /// asked for rather than kept: a layout of 40,000 members held 20 MB of headers while
        /// an export ran, to write each once.
        public var header: [UInt8] {
            get throws(FerryArchiveError) { try TarHeader.encode(member) }
        }
    }

    public private(set) var slots: [Slot] = []
    /// Offset of the end-of-archive marker (= end of the last member's padding).
    public private(set) var endOfMembers: Int64 = 0

    public init() {}

    /// Adds a member after the current last one.
    @discardableResult
    public mutating func append(_ member: TarMember) throws(FerryArchiveError) -> Slot {
        let header = try TarHeader.encode(member)
        let dataOffset = endOfMembers + Int64(header.count)
        let dataSize = member.kind == .directory ? 0 : member.size
        let slot = Slot(member: member, headerOffset: endOfMembers, dataOffset: dataOffset)
        slots.append(slot)
        endOfMembers = dataOffset + dataSize + Int64(TarHeader.padding(dataSize))
        return slot
    }

    /// Total size of the archive including the end-of-archive marker.
    public var totalSize: Int64 { endOfMembers + Int64(TarHeader.endOfArchive.count) }
}
