import FerryArchive
import FerryCore
import FerryFormat
import Testing

/// Rules (issue 5, split bundles; issue 16, one size rule): `--split-size` reads sizes as every
/// other option does (`ByteCount`), less one byte, so every part stays strictly below it; the
/// planner cuts at member boundaries when a member fits in a part.
@Suite struct SplitSizeTests {
    @Test(arguments: [
        ("4.7G", Int64(4_699_999_999)), ("700M", 699_999_999), ("4G", 3_999_999_999), ("fat32", 4_294_967_295),
        ("2GiB", 2_147_483_647), ("64Ki", 65_535), ("10000", 9_999), ("1.5M", 1_499_999),
    ])
    func splitSizeParsing(text: String, maxPartSize: Int64) {
        #expect(SplitSize.parse(text)?.maxPartSize == maxPartSize)
    }

    @Test(arguments: ["", "G", "-1G", "4X", "1K", "abc", "1e9", "fat"])
    func splitSizeRejects(text: String) {
        #expect(SplitSize.parse(text) == nil)
    }

    /// The planner cuts at member boundaries when a member fits in a part, spans otherwise.
    @Test func planPrefersWholeMembers() throws {
        var layout = TarLayout()
        for (index, size) in [100, 3000, 2500, 9000, 10].enumerated() {
            try layout.append(TarMember(name: "m\(index)", size: Int64(size)))
        }
        let plan = PartPlan.cut(layout, maxPartSize: 4096)
        #expect(plan.sizes.reduce(0, +) == layout.totalSize)
        #expect(plan.sizes.allSatisfy { $0 <= 4096 })
        let starts = Set(plan.starts)
        // m0 and m1 do not fit together (4608 bytes with headers), so m1 starts a part; m2 does
        // not fit after m1, so it starts one too. m3 (9 KiB) is larger than a part: it starts
        // right after m2 and is cut into full parts; m4 and the end marker follow it.
        #expect(plan.starts == [0, layout.slots[1].headerOffset, layout.slots[2].headerOffset,
                                layout.slots[2].headerOffset + 4096, layout.slots[2].headerOffset + 8192,
                                layout.slots[2].headerOffset + 12288])
        #expect(!starts.contains(layout.slots[3].headerOffset))
    }

    /// The same text means the same number of bytes for --split-size as for --chunk-size,
    /// --limit-rate and --min-rate (before issue 16, `700M` was 700×10^6 here and 700×2^20 there).
    @Test(arguments: ["700M", "4.7G", "64Mi", "2GiB", "10000", "1.5M"])
    func agreesWithTheOtherSizeOptions(_ text: String) throws {
        let bytes = try #require(ByteCount.parse(text))
        #expect(SplitSize.parse(text)?.maxPartSize == bytes - 1)
    }
}
