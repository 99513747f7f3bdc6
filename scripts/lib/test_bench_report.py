"""Tests of scripts/lib/bench_report.py on saved results (testdata/bench/), without a bench run.

Run: python3 -m unittest discover -s scripts/lib -p 'test_*.py'   (scripts/test does)
Standard library only.

testdata/bench/ holds a small corpus JSON (3 distinct images, 4 references: a single OCI
manifest under two tags, an OCI index with 2 platforms, a Docker schema2 manifest; 175.0 MB when
each image is counted alone, 95.0 MB of unique blobs), ferry's JSON outputs, and results files as
scripts/bench writes them: export-*.tsv (round, tool, seconds, rss_kib, bytes) and import-*.tsv
(the same plus registry_cpu_s). Each *-miss-*.tsv misses exactly one target; *-boundary.tsv sit
on the targets' edges. summary-*.txt and crossing.txt are the report as scripts/bench printed it
before the report moved out of its heredocs.
"""

import contextlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_report  # noqa: E402

DATA = os.path.join(HERE, "testdata", "bench")
EXPORT_KEYS = ("export.speedup", "export.vs_cp", "export.rss", "export.dedup")
IMPORT_KEYS = ("import.speedup", "import.rss", "import.noop")


def data(name):
    return os.path.join(DATA, name)


def run_main(argv):
    """bench_report.main(argv): (exit status, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            status = bench_report.main(argv)
        except SystemExit as e:  # argparse errors
            status = e.code
    return status, out.getvalue()


def expected(misses, keys):
    return {k: ("MISS" if k in misses else "PASS") for k in keys}


# (results file, the targets it misses; every other target of its part passes)
EXPORT_CASES = [
    ("export-pass.tsv", ()),
    ("export-miss-speedup.tsv", ("export.speedup",)),  # skopeo 3.000 / ferry 1.100 = 2.73x < 3.0x
    ("export-miss-vs-cp.tsv", ("export.vs_cp",)),  # ferry 1.100 / cp 0.800 = 1.38x > 1.3x
    ("export-miss-rss.tsv", ("export.rss",)),  # one round at 65536 KiB = 64.0 MiB, not < 64
    ("export-miss-dedup.tsv", ("export.dedup",)),  # a 180.0 MB bundle, not < the 175.0 MB sum
    ("export-boundary.tsv", ()),  # 3.9 / 1.3 = 3.0x, 1.3 / 1.0 = 1.3x, 65535 KiB
]
IMPORT_CASES = [
    ("import-pass.tsv", ()),  # the no-op's runs 0.2 5.0 0.3: the median 0.3 decides
    ("import-miss-speedup.tsv", ("import.speedup",)),  # skopeo 4.900 / ferry 2.000 = 2.45x < 2.5x
    ("import-miss-rss.tsv", ("import.rss",)),  # ferry import at 66000 KiB = 64.5 MiB
    ("import-miss-noop-rss.tsv", ("import.rss",)),  # the no-op import at 70000 KiB counts too
    ("import-miss-noop.tsv", ("import.noop",)),  # no-op median 1.000 s, not < 1 s
    ("import-boundary.tsv", ()),  # 5.0 / 2.0 = 2.5x, 65535 KiB, no-op 0.999 s
]


class SavedResults(unittest.TestCase):
    def outcomes(self, export_file, import_file, do_export=True, do_import=True):
        verdicts = bench_report.evaluate_files(data(export_file), data(import_file), data("corpus.json"),
                                               do_export, do_import, ferry_bundle=data("no-such-bundle.tar"))
        return {v.key: v.outcome for v in verdicts}

    def test_export_targets(self):
        for name, misses in EXPORT_CASES:
            with self.subTest(results=name):
                self.assertEqual(self.outcomes(name, "import-pass.tsv", do_import=False),
                                 expected(misses, EXPORT_KEYS))

    def test_import_targets(self):
        for name, misses in IMPORT_CASES:
            with self.subTest(results=name):
                self.assertEqual(self.outcomes("export-pass.tsv", name, do_export=False),
                                 expected(misses, IMPORT_KEYS))

    def test_both_parts(self):
        got = self.outcomes("export-miss-dedup.tsv", "import-miss-noop.tsv")
        self.assertEqual(got, {**expected(("export.dedup",), EXPORT_KEYS), **expected(("import.noop",), IMPORT_KEYS)})

    def test_every_target_has_a_miss_case(self):
        missed = {k for _, misses in EXPORT_CASES + IMPORT_CASES for k in misses}
        self.assertEqual(missed, set(EXPORT_KEYS + IMPORT_KEYS))

    def test_check_command(self):
        for name, misses in EXPORT_CASES:
            with self.subTest(results=name):
                status, out = run_main(["check", "--results", data(name), "--corpus", data("corpus.json"), "--export"])
                self.assertEqual(status, 1 if misses else 0)
                lines = [line.split("\t") for line in out.splitlines()]
                self.assertEqual({f[0]: f[3] for f in lines}, expected(misses, EXPORT_KEYS))
        status, out = run_main(["check", "--results", data("export-pass.tsv"), "--import-results",
                                data("import-miss-speedup.tsv"), "--corpus", data("corpus.json"), "--import"])
        self.assertEqual(status, 1)
        self.assertIn("import.speedup\t2.45x\t>= 2.5x\tMISS", out.splitlines())


def stats(median, rss_mib=40.0):
    return {"median": median, "runs": [median], "rss": rss_mib, "bytes": 1, "reg_cpu": None}


class PureVerdicts(unittest.TestCase):
    """The decision functions alone: numbers in, verdicts out."""

    def test_export(self):
        cases = [
            # ferry s, skopeo s, cp s, ferry RSS MiB, bundle, sum, misses
            (1.0, 3.0, 1.0, 63.9, 10, 11, ()),
            (1.0, 2.99, 1.0, 63.9, 10, 11, ("export.speedup",)),
            (1.31, 4.0, 1.0, 63.9, 10, 11, ("export.vs_cp",)),
            (1.0, 3.0, 1.0, 64.0, 10, 11, ("export.rss",)),
            (1.0, 3.0, 1.0, 63.9, 11, 11, ("export.dedup",)),
            (2.0, 1.0, 0.5, 100.0, 12, 11, EXPORT_KEYS),
            (1.0, 3.0, 0.0, 1.0, 10, 11, ("export.vs_cp",)),  # cp took no time: the ratio is infinite
        ]
        for ferry, skopeo, cp, rss, bundle, total, misses in cases:
            with self.subTest(ferry=ferry, skopeo=skopeo, cp=cp, rss=rss, bundle=bundle):
                verdicts = bench_report.export_verdicts(stats(ferry, rss), stats(skopeo), stats(cp), bundle, total)
                self.assertEqual({v.key: v.outcome for v in verdicts}, expected(misses, EXPORT_KEYS))

    def test_import(self):
        cases = [
            # ferry s, skopeo s, no-op s, ferry RSS MiB, no-op RSS MiB, misses
            (2.0, 5.0, 0.999, 63.9, 63.9, ()),
            (2.0, 4.99, 0.5, 40.0, 40.0, ("import.speedup",)),
            (2.0, 5.0, 0.5, 64.0, 40.0, ("import.rss",)),
            (2.0, 5.0, 0.5, 40.0, 64.0, ("import.rss",)),
            (2.0, 5.0, 1.0, 40.0, 40.0, ("import.noop",)),
            (3.0, 3.0, 2.0, 80.0, 80.0, IMPORT_KEYS),
        ]
        for ferry, skopeo, noop, rss, noop_rss, misses in cases:
            with self.subTest(ferry=ferry, skopeo=skopeo, noop=noop, rss=rss, noop_rss=noop_rss):
                verdicts = bench_report.import_verdicts(stats(ferry, rss), stats(skopeo), stats(noop, noop_rss))
                self.assertEqual({v.key: v.outcome for v in verdicts}, expected(misses, IMPORT_KEYS))

    def test_verify(self):
        for size, median, outcome in [(1_500_000_000, 1.0, "PASS"), (1_499_999_999, 1.0, "MISS"),
                                      (3_000_000_000, 2.5, "MISS"), (1, 0.0, "PASS")]:
            with self.subTest(size=size, median=median):
                self.assertEqual(bench_report.verify_verdict(size, median).outcome, outcome)

    def test_targets_can_be_changed(self):
        targets = dict(bench_report.TARGETS, export_speedup_min=5.0)
        verdicts = bench_report.export_verdicts(stats(1.0), stats(4.0), stats(1.0), 1, 2, targets)
        self.assertEqual(verdicts[0].outcome, "MISS")
        self.assertEqual(verdicts[0].target, ">= 5.0x")


SUMMARY_ARGS = ["--corpus", data("corpus.json"), "--ferry-json", data("ferry.json"),
                "--import-json", data("import.json"), "--noop-json", data("noop.json"),
                "--load-export", "0.50 0.60 0.70|1.10 0.90 0.80", "--load-import", "1.20 1.00 0.90|1.30 1.10 0.95",
                "--cpus", "2", "--import-store", "tmpfs: /dev/shm/x", "--skopeo-import", "tar -xf its bundle, then …"]


class Printed(unittest.TestCase):
    """The printed sections, against what scripts/bench printed before the split."""

    def summary(self, export_file, import_file, *flags):
        return run_main(["summary", "--results", data(export_file), "--import-results", data(import_file),
                         *SUMMARY_ARGS, *flags])

    def test_summary_pass(self):
        status, out = self.summary("export-pass.tsv", "import-pass.tsv", "--export", "--import", "--strict")
        self.assertEqual(status, 0)
        with open(data("summary-pass.txt")) as f:
            self.assertEqual(out, f.read())

    def test_summary_miss(self):
        status, out = self.summary("export-miss-speedup.tsv", "import-miss-noop.tsv", "--export", "--import", "--strict")
        self.assertEqual(status, 1)
        with open(data("summary-miss.txt")) as f:
            self.assertEqual(out, f.read())
        self.assertIn("  skopeo / ferry                      2.73x   target >= 3.0x      MISS", out.splitlines())
        self.assertIn("  ferry no-op import                1.000 s   target < 1 s        MISS", out.splitlines())

    def test_summary_miss_without_strict_exits_0(self):
        status, out = self.summary("export-miss-rss.tsv", "import-pass.tsv", "--export")
        self.assertEqual(status, 0)
        self.assertIn("  ferry peak RSS                   64.0 MiB   target < 64 MiB     MISS", out.splitlines())
        self.assertNotIn("IMPORT:", out)

    def test_summary_import_only(self):
        status, out = self.summary("export-pass.tsv", "import-miss-rss.tsv", "--import", "--strict")
        self.assertEqual(status, 1)
        self.assertNotIn("EXPORT:", out)
        self.assertIn("  ferry peak RSS                   64.5 MiB   target < 64 MiB     MISS", out.splitlines())

    def test_verify(self):
        status, out = run_main(["verify", "--bundle-bytes", "95010000", "0.050", "0.040", "0.060"])
        self.assertEqual(status, 0)
        self.assertEqual(out, "\nVERIFY: ferry verify of the 95.0 MB bundle, page cache warm\n"
                              "  median 0.050 s  1.90 GB/s   runs (s) 0.050 0.040 0.060   target >= 1.5 GB/s  PASS\n")
        _, out = run_main(["verify", "--bundle-bytes", "1000000000", "1.000"])
        self.assertTrue(out.endswith("target >= 1.5 GB/s  MISS\n"))

    def test_crossing(self):
        status, out = run_main(["crossing", "--values", data("crossing.tsv")])
        self.assertEqual(status, 0)
        with open(data("crossing.txt")) as f:
            self.assertEqual(out, f.read())


if __name__ == "__main__":
    unittest.main()
