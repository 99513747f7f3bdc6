#!/usr/bin/env python3
"""bench_report.py: the report of scripts/bench and scripts/bench-crossing, from the files they write.

Usage: bench_report.py summary --results TSV [--import-results TSV] --corpus JSON
                               [--ferry-json JSON] [--import-json JSON] [--noop-json JSON]
                               [--export] [--import] [--strict] [--ferry-bundle FILE]
                               [--skopeo-bundle FILE] [--load-export "BEFORE|AFTER"]
                               [--load-import "BEFORE|AFTER"] [--cpus N] [--import-store DESC]
                               [--skopeo-import DESC]
       bench_report.py check   --results TSV [--import-results TSV] --corpus JSON [--export]
                               [--import] [--ferry-bundle FILE]
       bench_report.py verify  --bundle-bytes N SECONDS...
       bench_report.py crossing --values TSV

  summary   the EXPORT and IMPORT tables (medians, MB/s, peak RSS, registry CPU), the ratios and
            PASS/MISS per target. Exit 1 with --strict when a target is missed, else 0.
  check     the same targets only, one line each: KEY <TAB> VALUE <TAB> TARGET <TAB> PASS|MISS;
            exit 1 when a target is missed (for saved results, without a run).
  verify    the VERIFY section: median of the `ferry verify` runs, GB/s, target >= 1.5 GB/s
            (information: it does not change the exit status).
  crossing  the CROSSING section from bench-crossing's KEY <TAB> VALUE file.

Inputs (written by scripts/bench):
  results TSV         round, tool (ferry | skopeo | cp | cp+sync), seconds, rss_kib, bytes
  import results TSV  round, tool (ferry | skopeo | ferry-noop), seconds, rss_kib, bytes,
                      registry_cpu_s; both with a header line
  corpus JSON         scripts/fixtures/ferry-fixtures.py push's description of the corpus
  ferry/import/noop JSON   `ferry export|import --format json` of the last round
--ferry-bundle and --skopeo-bundle default to ferry/bundle.tar and skopeo/bundle.tar next to the
results TSV; when a file is missing, its size is the last round's bytes in the results.
The load, CPU, store and route options default to the BENCH_LOAD_EXPORT, BENCH_LOAD_IMPORT,
BENCH_CPUS, BENCH_IMPORT_STORE and BENCH_SKOPEO_IMPORT environment variables.

The targets are in TARGETS; export_verdicts, import_verdicts and verify_verdict decide PASS or
MISS from numbers only (no files, no output), so scripts/lib/test_bench_report.py tests them.
Python 3 standard library only.
"""

import argparse
import json
import os
import statistics
import sys
from dataclasses import dataclass

MB = 1e6

# The targets scripts/bench's header lists (verify: issue 4, information only).
TARGETS = {
    "export_speedup_min": 3.0,  # skopeo / ferry, median seconds
    "export_vs_cp_max": 1.3,  # ferry / cp, median seconds
    "export_rss_mib_below": 64.0,  # ferry peak RSS
    "import_speedup_min": 2.5,  # skopeo / ferry, median seconds
    "import_rss_mib_below": 64.0,  # ferry peak RSS, import and no-op import
    "noop_seconds_below": 1.0,  # ferry no-op import, median seconds
    "verify_gbps_min": 1.5,  # ferry verify, 10^9 bytes per median second
}


@dataclass(frozen=True)
class Verdict:
    key: str  # stable name, e.g. "export.speedup"
    label: str  # as printed
    value: str  # as printed
    target: str  # as printed
    passed: bool

    @property
    def outcome(self):
        return "PASS" if self.passed else "MISS"


# ---- reading ------------------------------------------------------------------------------------


def read_rows(path):
    """{tool: [(seconds, rss_kib, bytes, registry_cpu_s or None), ...]} in file order."""
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            rnd, tool, secs, rss, size, *extra = line.rstrip("\n").split("\t")
            rows.setdefault(tool, []).append((float(secs), int(rss), int(size), float(extra[0]) if extra else None))
    return rows


def read_json(path):
    with open(path) as f:
        return json.load(f)


def load_json(path):
    if not path:
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def image_sizes(image):
    """{digest: size} of everything one image entry of the fixtures JSON reaches: the top
    manifest or index, its child manifests, their configs and layers (descriptors with sizes;
    the plain digest strings in "blobs" carry no size and are only counted as a check)."""
    out = {}

    def add(d):
        if isinstance(d, dict) and d.get("digest") and d.get("size") is not None:
            out[d["digest"]] = int(d["size"])

    add(image)
    for m in image.get("manifests") or []:
        add(m)
        add(m.get("config"))
        for layer in m.get("layers") or []:
            add(layer)
        for b in m.get("blobs") or []:
            add(b)
    for b in image.get("blobs") or []:
        add(b)
    return out


@dataclass
class CorpusFigures:
    distinct: dict  # digest (or reference) -> image entry; several tags of one image count once
    unique: dict  # digest -> size over all distinct images
    per_image_total: int  # sum over distinct images, each counted alone
    multi: int  # distinct images that are an index or a manifest list
    warnings: list


def corpus_figures(corpus):
    distinct = {}
    for image in corpus["images"]:
        # Several tags of one image (same digest) are one image for the dedup comparison.
        distinct.setdefault(image.get("digest") or image["reference"], image)
    unique = {}
    per_image_total = 0
    warnings = []
    for image in distinct.values():
        seen = image_sizes(image)
        missing = [b for b in image.get("blobs") or [] if isinstance(b, str) and b not in seen]
        if missing:
            warnings.append(f"{image['reference']}: {len(missing)} blobs without a size in the corpus JSON")
        per_image_total += sum(seen.values())
        unique.update(seen)
    multi = sum(1 for i in distinct.values() if "index" in i.get("mediaType", "") or "list" in i.get("mediaType", ""))
    return CorpusFigures(distinct, unique, per_image_total, multi, warnings)


def stat(rows, tool):
    """Median seconds, the runs, peak RSS in MiB (max over runs), the last run's bytes and the
    median registry CPU seconds (None when the rows have none) of one tool's rows."""
    runs = rows.get(tool, [])
    if not runs:
        return None
    secs = [r[0] for r in runs]
    return {
        "median": statistics.median(secs),
        "runs": secs,
        "rss": max(r[1] for r in runs) / 1024,
        "bytes": runs[-1][2],
        "reg_cpu": statistics.median(r[3] for r in runs) if runs[0][3] is not None else None,
    }


def ratio(a, b):
    return a / b if b > 0 else float("inf")


# ---- PASS / MISS (pure) ---------------------------------------------------------------------------


def export_verdicts(ferry, skopeo, cp, bundle_bytes, per_image_total, targets=TARGETS):
    """The export targets from the stats of ferry, skopeo and cp (see stat), the size of ferry's
    bundle and the corpus's sum of images."""
    r1 = ratio(skopeo["median"], ferry["median"])
    r2 = ratio(ferry["median"], cp["median"])
    speedup, vs_cp, rss = targets["export_speedup_min"], targets["export_vs_cp_max"], targets["export_rss_mib_below"]
    return [
        Verdict("export.speedup", "skopeo / ferry", f"{r1:.2f}x", f">= {speedup:.1f}x", r1 >= speedup),
        Verdict("export.vs_cp", "ferry / cp", f"{r2:.2f}x", f"<= {vs_cp:.1f}x", r2 <= vs_cp),
        Verdict("export.rss", "ferry peak RSS", f"{ferry['rss']:.1f} MiB", f"< {rss:g} MiB", ferry["rss"] < rss),
        Verdict("export.dedup", "dedup: bundle < sum", f"{bundle_bytes / MB:.1f} MB",
                f"< {per_image_total / MB:.1f} MB", bundle_bytes < per_image_total),
    ]


def import_verdicts(ferry, skopeo, noop, targets=TARGETS):
    """The import targets from the stats of ferry's import, skopeo's and ferry's no-op import;
    ferry's peak RSS is the larger of its import's and its no-op import's."""
    r = ratio(skopeo["median"], ferry["median"])
    rss = max(ferry["rss"], noop["rss"])
    speedup, rss_max, noop_max = targets["import_speedup_min"], targets["import_rss_mib_below"], targets["noop_seconds_below"]
    return [
        Verdict("import.speedup", "skopeo / ferry", f"{r:.2f}x", f">= {speedup:.1f}x", r >= speedup),
        Verdict("import.rss", "ferry peak RSS", f"{rss:.1f} MiB", f"< {rss_max:g} MiB", rss < rss_max),
        Verdict("import.noop", "ferry no-op import", f"{noop['median']:.3f} s", f"< {noop_max:g} s",
                noop["median"] < noop_max),
    ]


def verify_verdict(bundle_bytes, median_seconds, targets=TARGETS):
    rate = bundle_bytes / median_seconds / 1e9 if median_seconds > 0 else float("inf")
    target = targets["verify_gbps_min"]
    return Verdict("verify.rate", "ferry verify", f"{rate:.2f} GB/s", f">= {target:g} GB/s", rate >= target)


def evaluate(export_rows, import_rows, bundle_bytes, per_image_total, targets=TARGETS):
    """Every target that the given rows measure: the export ones when export_rows is not empty,
    the import ones when import_rows is not empty."""
    out = []
    if export_rows:
        out += export_verdicts(stat(export_rows, "ferry"), stat(export_rows, "skopeo"), stat(export_rows, "cp"),
                               bundle_bytes, per_image_total, targets)
    if import_rows:
        out += import_verdicts(stat(import_rows, "ferry"), stat(import_rows, "skopeo"),
                               stat(import_rows, "ferry-noop"), targets)
    return out


def file_size(path, runs):
    """The size of PATH, or when it is missing the bytes of the last of a tool's runs (rows)."""
    try:
        return os.path.getsize(path)
    except OSError:
        if not runs:
            raise
        return runs[-1][2]


def default_bundle(results_path, tool):
    return os.path.join(os.path.dirname(results_path), tool, "bundle.tar")


def evaluate_files(results_path, import_results_path, corpus_path, do_export=True, do_import=True,
                   ferry_bundle=None, targets=TARGETS):
    """evaluate() on saved files: the export results (also the source of the bundle size when
    ferry_bundle does not exist), the import results and the corpus JSON."""
    all_rows = read_rows(results_path)
    export_rows = all_rows if do_export else {}
    import_rows = read_rows(import_results_path) if do_import else {}
    figures = corpus_figures(read_json(corpus_path))
    bundle = file_size(ferry_bundle or default_bundle(results_path, "ferry"), all_rows.get("ferry"))
    return evaluate(export_rows, import_rows, bundle, figures.per_image_total, targets)


# ---- printing -----------------------------------------------------------------------------------


def print_verdict(v):
    print(f"  {v.label:<26} {v.value:>14}   target {v.target:<12} {v.outcome}")


def table(entries, reg_cpu=False):
    extra = f" {'registry CPU s':>15}" if reg_cpu else ""
    print(f"  {'tool':<26} {'median s':>9} {'MB/s':>9} {'peak RSS MiB':>13}{extra}   runs (s)")
    for name, s in entries:
        rate = s["bytes"] / MB / s["median"] if s["median"] > 0 else float("inf")
        runs = " ".join(f"{x:.3f}" for x in s["runs"])
        extra = f" {s['reg_cpu']:15.2f}" if reg_cpu else ""
        print(f"  {name:<26} {s['median']:9.3f} {rate:9.1f} {s['rss']:13.1f}{extra}   {runs}")
    print()


def load_line(what, before_after, cpus):
    before, after = (before_after or "-|-").split("|")
    print(f"  load average before/after the {what} rounds: {before} / {after} on {cpus} CPUs")
    try:
        if max(float(before.split()[0]), float(after.split()[0])) > 0.5 * int(cpus):
            print("  warning: the machine was busy with other work; expect noisy timings")
    except (ValueError, IndexError):
        pass


def summary(args):
    """Prints the report; returns the exit status (1 with --strict when a target is missed)."""
    corpus = read_json(args.corpus)
    ferry_out = load_json(args.ferry_json)
    figures = corpus_figures(corpus)
    for w in figures.warnings:
        print(f"  warning: {w}")

    all_rows = read_rows(args.results)
    export_rows = all_rows if args.do_export else {}
    import_rows = read_rows(args.import_results) if args.do_import else {}
    bundle = file_size(args.ferry_bundle or default_bundle(args.results, "ferry"), all_rows.get("ferry"))
    skopeo_bundle = file_size(args.skopeo_bundle or default_bundle(args.results, "skopeo"), all_rows.get("skopeo"))
    rounds = len((export_rows or import_rows).get("ferry", []))
    distinct, unique, per_image_total = figures.distinct, figures.unique, figures.per_image_total
    ok = True

    print()
    print(f"ferry bench: {len(distinct)} images ({figures.multi} multi-platform, {len(corpus['images'])} references), seed {corpus.get('seed')}, "
          f"profile {corpus.get('profile')}, registry {corpus.get('registry')}, {rounds} round(s)")
    print(f"  unique blob bytes  {sum(unique.values()) / MB:10.1f} MB ({len(unique)} blobs and manifests)")
    print(f"  sum of the images  {per_image_total / MB:10.1f} MB (each image counted alone)")
    print(f"  ferry bundle       {bundle / MB:10.1f} MB ({ferry_out.get('blobCount', '?')} blobs, "
          f"dedup saved {int(ferry_out.get('dedupSavedBytes', 0)) / MB:.1f} MB, "
          f"bytesWritten {int(ferry_out.get('bytesWritten', 0)) / MB:.1f} MB)")
    print(f"  skopeo bundle      {skopeo_bundle / MB:10.1f} MB (oci: layout of all images, tar -cf)")

    if args.do_export:
        ferry, skopeo, cp, cps = (stat(export_rows, t) for t in ("ferry", "skopeo", "cp", "cp+sync"))
        print()
        print("EXPORT: registry -> one bundle tar")
        table([
            ("ferry export", ferry),
            ("skopeo copy --all + tar", skopeo),
            ("cp of ferry bundle", cp),
            ("cp + sync (info)", cps),
        ])
        for v in export_verdicts(ferry, skopeo, cp, bundle, per_image_total):
            ok = ok and v.passed
            print_verdict(v)
            if v.key == "export.vs_cp":
                print(f"  {'ferry / (cp + sync)':<26} {ratio(ferry['median'], cps['median']):>13.2f}x   (information: ferry fsyncs its output)")
        images_out = len(ferry_out.get("images", []))
        if images_out not in (len(corpus["images"]), len(distinct)):
            print(f"  warning: ferry reported {images_out} images, the corpus has {len(corpus['images'])} references")
        if int(ferry_out.get("bytesWritten", bundle)) != bundle:
            print(f"  warning: ferry reported bytesWritten {ferry_out.get('bytesWritten')}, the file has {bundle} bytes")
        print()
        load_line("export", args.load_export, args.cpus)

    if args.do_import:
        ferry_i, skopeo_i, noop = (stat(import_rows, t) for t in ("ferry", "skopeo", "ferry-noop"))
        imp, nop = load_json(args.import_json), load_json(args.noop_json)
        print()
        print("IMPORT: bundle -> empty registry (a fresh docker-registry per tool and round; "
              f"storage {args.import_store})")
        table([
            ("ferry import", ferry_i),
            ("skopeo untar + copy --all", skopeo_i),
            ("ferry no-op import (info)", noop),
        ], reg_cpu=True)
        print(f"  skopeo route: {args.skopeo_import}")
        print()
        for v in import_verdicts(ferry_i, skopeo_i, noop):
            ok = ok and v.passed
            print_verdict(v)
        print(f"  ferry import (last round): {len(imp.get('images', []))} images, {imp.get('blobsUploaded', '?')} blobs uploaded, "
              f"{imp.get('blobsMounted', '?')} mounted, {imp.get('blobsSkipped', '?')} skipped, "
              f"{int(imp.get('bytesUploaded', 0)) / MB:.1f} MB sent, {imp.get('manifestsPushed', '?')} manifests, {imp.get('tagsPushed', '?')} tags")
        print(f"  no-op import (last round): {nop.get('blobsUploaded', '?')} blobs uploaded, {nop.get('blobsMounted', '?')} mounted, "
              f"{nop.get('blobsSkipped', '?')} skipped, {int(nop.get('bytesUploaded', 0)) / MB:.1f} MB sent, "
              f"{nop.get('manifestsPushed', '?')} manifests, {nop.get('tagsPushed', '?')} tags")
        if nop.get("blobsUploaded") or nop.get("bytesUploaded"):
            print("  warning: the no-op import uploaded blobs into a registry that already had them")
        print("  every ferry import was checked: each reference's manifest digest in the destination equals the source's")
        print()
        load_line("import", args.load_import, args.cpus)

    print("  MB = 10^6 bytes; MB/s = the tool's own bundle size / median; RSS = GNU time %M, max over rounds")
    print("  (skopeo: max over its per-image processes). Page cache warm; `sync` before every timed step.")
    if args.do_import:
        print("  Import: skopeo's time includes untarring its bundle into the work dir; registry start/stop and")
        print("  digest checks are not timed. The no-op import is the same command again into the same registry.")
        print("  Registry CPU s (information, median) = user + system CPU the destination docker-registry used")
        print("  during the step: its own share of the work, which bounds how fast any client can import.")
    return 1 if (args.strict and not ok) else 0


def check(args):
    verdicts = evaluate_files(args.results, args.import_results, args.corpus, args.do_export, args.do_import,
                              args.ferry_bundle)
    for v in verdicts:
        print(f"{v.key}\t{v.value}\t{v.target}\t{v.outcome}")
    return 0 if all(v.passed for v in verdicts) else 1


def verify(args):
    """The VERIFY section; the runs are printed as given, in run order."""
    median = statistics.median(float(s) for s in args.seconds)
    v = verify_verdict(args.bundle_bytes, median)
    print()
    print(f"VERIFY: ferry verify of the {args.bundle_bytes / 1e6:.1f} MB bundle, page cache warm")
    print(f"  median {median:.3f} s  {v.value}   runs (s) {' '.join(args.seconds)}   target {v.target}  {v.outcome}")
    return 0


CROSSING_KEYS = ("refs", "plain_s", "plain_rss", "plain_size", "zstd_s", "zstd_rss", "zstd_size",
                 "split_s", "split_rss", "split_size", "split_count", "part_mb", "inc_s", "inc_rss",
                 "inc_size", "layer_bytes", "changed", "copy_s", "copy_rss", "skopeo_copy_s", "skopeo_copy_rss")


def read_values(path):
    values = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                key, _, value = line.rstrip("\n").partition("\t")
                values[key] = value
    missing = [k for k in CROSSING_KEYS if k not in values]
    if missing:
        raise SystemExit(f"bench_report: {path} lacks {', '.join(missing)}")
    return values


def crossing_lines(v):
    """The CROSSING section (information, no targets) from bench-crossing's values."""
    f = {k: float(v[k]) for k in CROSSING_KEYS if k not in ("changed", "part_mb")}
    ps, pz, zz = f["plain_s"], f["plain_size"], f["zstd_size"]
    return [
        "",
        "CROSSING: one run each, %d references + 1 changed image" % int(f["refs"]),
        "  %-34s %8.2f s  %9.1f MB  RSS %6.1f MiB" % ("export (plain, for reference)", ps, pz / 1e6, f["plain_rss"] / 1024),
        "  %-34s %8.2f s  %9.1f MB  RSS %6.1f MiB   %+.2f s, %+.1f%% size"
        % ("export --compress zstd", f["zstd_s"], zz / 1e6, f["zstd_rss"] / 1024, f["zstd_s"] - ps, (zz - pz) * 100 / pz),
        "  %-34s %8.2f s  %9.1f MB  RSS %6.1f MiB   %d parts; %+.2f s (hashing parts for SHA256SUMS)"
        % ("export --split-size " + v["part_mb"] + "M", f["split_s"], f["split_size"] / 1e6, f["split_rss"] / 1024,
           int(f["split_count"]), f["split_s"] - ps),
        "  %-34s %8.2f s  %9.1f MB  RSS %6.1f MiB   after %s changed one %.1f MB layer"
        % ("export --since full (incremental)", f["inc_s"], f["inc_size"] / 1e6, f["inc_rss"] / 1024, v["changed"],
           f["layer_bytes"] / 1e6),
        "  incremental / full size: %.2f%%; verify --base checked the chain" % (f["inc_size"] * 100 / pz),
        "  %-34s %8.2f s  %9s     RSS %6.1f MiB   skopeo copy --all per image: %.2f s, RSS %.1f MiB; %.2fx"
        % ("ferry sync (registry to registry)", f["copy_s"], "no disk", f["copy_rss"] / 1024, f["skopeo_copy_s"],
           f["skopeo_copy_rss"] / 1024, ratio(f["skopeo_copy_s"], f["copy_s"])),
    ]


def crossing(args):
    for line in crossing_lines(read_values(args.values)):
        print(line)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def inputs(q):
        q.add_argument("--results", required=True, help="export results TSV (or the untimed prep TSV)")
        q.add_argument("--import-results", help="import results TSV")
        q.add_argument("--corpus", required=True, help="the fixtures JSON of the corpus")
        q.add_argument("--export", dest="do_export", action="store_true", help="report the export part")
        q.add_argument("--import", dest="do_import", action="store_true", help="report the import part")
        q.add_argument("--ferry-bundle", help="ferry's bundle (default: ferry/bundle.tar next to --results)")

    s = sub.add_parser("summary", help="the EXPORT and IMPORT report with PASS/MISS per target")
    inputs(s)
    s.add_argument("--skopeo-bundle", help="skopeo's bundle (default: skopeo/bundle.tar next to --results)")
    s.add_argument("--ferry-json", help="`ferry export --format json` of the last round")
    s.add_argument("--import-json", help="`ferry import --format json` of the last round")
    s.add_argument("--noop-json", help="the no-op import's JSON of the last round")
    s.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    s.add_argument("--load-export", default=os.environ.get("BENCH_LOAD_EXPORT", "-|-"), help='"BEFORE|AFTER" load averages')
    s.add_argument("--load-import", default=os.environ.get("BENCH_LOAD_IMPORT", "-|-"), help='"BEFORE|AFTER" load averages')
    s.add_argument("--cpus", default=os.environ.get("BENCH_CPUS", "0"))
    s.add_argument("--import-store", default=os.environ.get("BENCH_IMPORT_STORE", "?"))
    s.add_argument("--skopeo-import", default=os.environ.get("BENCH_SKOPEO_IMPORT", "?"))
    s.set_defaults(func=summary)

    c = sub.add_parser("check", help="PASS/MISS per target of saved results, one line each")
    inputs(c)
    c.set_defaults(func=check)

    v = sub.add_parser("verify", help="the VERIFY section")
    v.add_argument("--bundle-bytes", type=int, required=True)
    v.add_argument("seconds", nargs="+", help="each run's seconds, in run order")
    v.set_defaults(func=verify)

    x = sub.add_parser("crossing", help="the CROSSING section")
    x.add_argument("--values", required=True, help="bench-crossing's KEY<TAB>VALUE file")
    x.set_defaults(func=crossing)

    args = p.parse_args(argv)
    if args.command in ("summary", "check") and args.do_import and not args.import_results:
        p.error("--import needs --import-results")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
