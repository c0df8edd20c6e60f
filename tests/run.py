#!/usr/bin/env python3
"""Runs every test suite and ends with one line: "N passed, N failed".

Suites: the Catch2 unit tests (one count per test case), the libFuzzer smoke runs (one
per target, bounded in runs and time) and the integration tests in tests/integration
(Python unittest, one count per test method; they install into temporary roots and drive
the installed programs). Tests tagged [root] run only as root.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def run_unit(build):
    binary = os.path.join(TOP, build, "tests", "unit_tests")
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "junit.xml")
        args = [binary, "-r", "junit", "-o", report]
        if os.geteuid() != 0:
            args.append("~[root]")
        proc = subprocess.run(args, cwd=TOP, timeout=900)
        if not os.path.exists(report):
            print(f"unit: {binary} wrote no report (exit {proc.returncode})")
            return 0, 1
        passed = failed = 0
        try:
            cases = list(ET.parse(report).getroot().iter("testcase"))
        except ET.ParseError as e:
            print(f"unit: unreadable report {report}: {e} (exit {proc.returncode})")
            return 0, 1
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print(f"unit: FAILED {case.get('classname')} {case.get('name')}")
                for bad in list(case.iter("failure")) + list(case.iter("error")):
                    print((bad.text or bad.get("message") or "").strip()[:2000])
            else:
                passed += 1
        if proc.returncode != 0 and failed == 0:
            print(f"unit: exit {proc.returncode} with no failed case")
            failed += 1
    print(f"unit: {passed} passed, {failed} failed")
    return passed, failed


def fuzz_one(build, source, seconds, runs):
    """Runs one target on a copy of its corpus; returns (name, CompletedProcess)."""
    name = source[:-4]
    binary = os.path.join(build, name)
    corpus_src = os.path.join(TOP, "fuzz", "corpus", name[: -len("_fuzz")])
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        if os.path.isdir(corpus_src):
            shutil.copytree(corpus_src, corpus)
        else:
            os.mkdir(corpus)
        proc = subprocess.run(
            [binary, f"-max_total_time={seconds}", f"-runs={runs}",
             f"-artifact_prefix={tmp}/", corpus],
            cwd=tmp, capture_output=True, text=True, timeout=seconds + 120)
    return name, proc


def run_fuzz(seconds, runs):
    """Every target for the same bounded time, as many at once as there are CPUs (each
    libFuzzer run is one process on one CPU), reported in name order."""
    build = os.path.join(TOP, "build-fuzz")
    targets = sorted(f for f in os.listdir(os.path.join(TOP, "fuzz")) if f.endswith("_fuzz.cpp"))
    passed = failed = 0
    workers = max(1, min(len(targets), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda t: fuzz_one(build, t, seconds, runs), targets))
    for name, proc in results:
        if proc.returncode == 0:
            passed += 1
        else:
            failed += 1
            print(f"fuzz: FAILED {name} (exit {proc.returncode})")
            print(proc.stderr[-3000:])
    print(f"fuzz: {passed} passed, {failed} failed")
    return passed, failed


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def run_integration(build, san, pattern="test_*.py"):
    os.environ["MS_BUILD"] = build
    os.environ["MS_SAN"] = san
    os.environ["MS_TOP"] = TOP
    suite = unittest.defaultTestLoader.discover(os.path.join(HERE, "integration"),
                                                pattern=pattern,
                                                top_level_dir=os.path.join(HERE, "integration"))
    runner = unittest.TextTestRunner(resultclass=CountingResult, verbosity=1, stream=sys.stdout)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    # A skipped test is a defect here: count it as failed.
    failed += len(result.skipped)
    print(f"integration: {result.passed} passed, {failed} failed")
    return result.passed, failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--san", default="0")
    parser.add_argument("--only", choices=["unit", "fuzz", "integration"])
    parser.add_argument("--pattern", default="test_*.py",
                        help="integration test files to run (a glob)")
    parser.add_argument("--fuzz-seconds", type=int, default=20)
    parser.add_argument("--fuzz-runs", type=int, default=300000)
    args = parser.parse_args()

    totals = [0, 0]
    suites = [args.only] if args.only else ["unit", "fuzz", "integration"]
    if args.san == "1" and not args.only:
        suites.remove("fuzz")  # the fuzz targets are sanitizer builds already
    sys.stdout.flush()
    for suite in suites:
        if suite == "unit":
            p, f = run_unit(args.build)
        elif suite == "fuzz":
            p, f = run_fuzz(args.fuzz_seconds, args.fuzz_runs)
        else:
            p, f = run_integration(args.build, args.san, args.pattern)
        totals[0] += p
        totals[1] += f
        sys.stdout.flush()
    print(f"{totals[0]} passed, {totals[1]} failed")
    return 0 if totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
