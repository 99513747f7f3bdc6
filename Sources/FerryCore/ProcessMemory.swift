import CFerrySystem

/// Process-wide memory settings, made once at start.
public enum ProcessMemory {
    /// glibc's malloc gives each thread that meets contention an arena of its own, up to eight
    /// per core, and memory freed in one arena is not reused by another. ferry's transfers run
    /// on a pool of curl threads beside Swift's own, so a 10,000-image run kept some 10 MiB of
    /// freed but unreusable memory in extra arenas (peak RSS with two arenas: export 149 → 141
    /// MiB, bundle verify 145 → 134 MiB, same time). Two arenas, as for two cores;
    /// `MALLOC_ARENA_MAX` in the environment still wins. Returns whether the cap was set.
    @discardableResult
    public static func limitAllocatorArenas(to arenas: Int32 = 2) -> Bool {
        ferry_limit_malloc_arenas(arenas) == 1
    }
}
