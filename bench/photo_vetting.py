"""Benchmark of photos.vetting.vet(): time on one core and peak memory per input.

    .venv/bin/python -m bench.photo_vetting [--runs N] [--json PATH]      (or `make bench-photos`)

The targets (from the issue): a typical phone photo (about 3000×4000, 3 MB) is vetted in under
400 ms median on one core, a 600×800 one in under 150 ms, and peak memory stays under 300 MB
whatever the input, a 20000×20000 decompression bomb included.

Memory is measured first, in a fresh child process per input (`--child KIND --input FILE`): the
inputs are built by a separate generator process (`--make-inputs DIR`) that writes each JPEG to a
temporary file, so a measuring child only imports, reads the bytes and calls vet(); its ru_maxrss
is compared with that of a child that only imports (`--child baseline`). The children run with
OpenCV's default threading, as the worker does. The parent spawns them before importing anything
heavy because Linux carries a process's ru_maxrss over fork and exec: a child's peak can never
read lower than its parent's peak at the time of the spawn, so building a 39-megapixel input (or
even importing OpenCV) in the parent would show up as every child's "peak".

Timing then runs in this process, pinned to one CPU (os.sched_setaffinity) with OpenCV limited to
one thread, after one warm-up call per input (which also loads the face cascade).

A benchmark, not a test: the exit status is 0 even when a target is missed; the table says which."""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "config.settings.local"
PROFILE = "ccaa"

# Targets from the issue.
PHONE_MEDIAN_MS = 400
SMALL_MEDIAN_MS = 150
PEAK_RSS_MB = 300

# Each input: its label in the table and its median-time target (None: memory only); _build() makes it.
INPUTS = {
    "phone": ("phone photo ~3000x4000, ~3 MB", PHONE_MEDIAN_MS),
    "small": ("photo 600x800", SMALL_MEDIAN_MS),
    "bomb": ("bomb 20000x20000 (header)", None),
    "large": ("real 5000x7800 (39 MP, allowed)", None),
}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def _maxrss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- inputs


def _phone_photo() -> bytes:
    """A 3000×4000 portrait with sensor-like noise, at the first quality giving 2.5–3.5 MB."""
    from photos import samples

    image = samples.portrait("white", (3000, 4000), noise=8.0)
    data = b""
    for quality in (92, 90, 93, 88, 94, 85, 95):
        data = samples.jpeg(image, quality)
        if 2.5e6 <= len(data) <= 3.5e6:
            break
    return data


def _build(kind: str) -> bytes:
    from photos import samples

    if kind == "phone":
        return _phone_photo()
    if kind == "small":
        return samples.jpeg(samples.portrait("white", (600, 800)), 95)
    if kind == "bomb":
        return samples.bomb(20000, 20000)
    if kind == "large":  # really 39 MP, just under vetting.MAX_PIXELS, and under MAX_BYTES
        return samples.jpeg(samples.portrait("white", (5000, 7800), noise=3.0), 85)
    raise ValueError(kind)


def _header_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # only the header is read; the bomb must not raise here
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _make_inputs(directory: str) -> None:
    """Runs in its own process: write every input to DIR/KIND.jpg and print their sizes as JSON."""
    _setup_django()
    made = {}
    for kind in INPUTS:
        data = _build(kind)
        path = os.path.join(directory, f"{kind}.jpg")
        Path(path).write_bytes(data)
        width, height = _header_size(data)
        made[kind] = {"path": path, "bytes": len(data), "width": width, "height": height}
    print(json.dumps(made))


# --------------------------------------------------------------------------- child (memory)


def _child(kind: str, path: str | None) -> None:
    """Runs in a fresh interpreter: import, read the file, vet once, print JSON with ru_maxrss."""
    _setup_django()
    from photos import vetting
    from photos.services import vetting_profile

    profile = vetting_profile(PROFILE)
    out = {"kind": kind, "maxrss_imports_mb": _maxrss_mb()}
    if kind != "baseline":
        data = Path(path).read_bytes()
        out["maxrss_read_mb"] = _maxrss_mb()
        result = vetting.vet(data, profile)
        out.update(status=result.status, reasons=result.reasons)
    out["maxrss_mb"] = _maxrss_mb()
    print(json.dumps(out))


def _run_json(*args: str) -> dict:
    """Run this module in a fresh interpreter and parse the JSON on the last line of its output."""
    command = [sys.executable, "-m", "bench.photo_vetting", *args]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_child(kind: str, path: str | None = None) -> dict:
    return {"kind": kind, **_run_json("--child", kind, *(["--input", path] if path else []))}


# --------------------------------------------------------------------------- timing


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _time(data: bytes, profile, runs: int) -> tuple[list[float], object]:
    from photos import vetting

    result = vetting.vet(data, profile)  # warm-up: face cascade, libjpeg, caches
    samples_ms = []
    for _ in range(runs):
        start = time.perf_counter()
        result = vetting.vet(data, profile)
        samples_ms.append((time.perf_counter() - start) * 1000)
    return samples_ms, result


# --------------------------------------------------------------------------- report


def _machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import cv2
    import numpy
    import PIL

    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "pillow": PIL.__version__, "opencv": cv2.__version__, "numpy": numpy.__version__,
            "platform": platform.platform()}


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _table(rows: list[dict]) -> str:
    headers = ["input", "bytes", "WxH", "status", "median ms", "p95 ms", "min ms", "peak RSS MB",
               "RSS incr MB", "target", "result"]
    lines = []
    for row in rows:
        lines.append([
            row["label"], f"{row['bytes']:,}", f"{row['width']}x{row['height']}", row["status_text"],
            _ms(row["median_ms"]), _ms(row["p95_ms"]), _ms(row["min_ms"]),
            "-" if row["peak_rss_mb"] is None else f"{row['peak_rss_mb']:.1f}",
            "-" if row["rss_increase_mb"] is None else f"{row['rss_increase_mb']:.1f}",
            row["target_text"], "PASS" if row["passed"] else "FAIL",
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    numeric = {1, 4, 5, 6, 7, 8}

    def fmt(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(line) for line in lines)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_vetting", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per input (default 15)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--child", metavar="KIND", help=argparse.SUPPRESS)
    parser.add_argument("--input", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--make-inputs", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.input)
        return 0
    if args.make_inputs:
        _make_inputs(args.make_inputs)
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    # Nothing heavy is imported in this process until the memory children have run (see the docstring).
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        print(f"Building inputs (profile {PROFILE!r}) in a separate process ...", flush=True)
        made = _run_json("--make-inputs", tmp)
        if "error" in made:
            print(made["error"], file=sys.stderr)
            return 1
        for kind, info in made.items():
            print(f"  {kind:6} {info['bytes']:>12,} bytes ({info['bytes'] / 1e6:.2f} MB)  "
                  f"{info['width']}x{info['height']}", flush=True)
        launcher_mb = _maxrss_mb()
        print(f"Peak memory: one fresh child process per input (this launcher: {launcher_mb:.1f} MB) ...",
              flush=True)
        baseline = _run_child("baseline")
        memory = {kind: _run_child(kind, info["path"]) for kind, info in made.items()}
        inputs = {kind: Path(info["path"]).read_bytes() for kind, info in made.items()}
    if "error" in baseline:
        print(f"  baseline child failed: {baseline['error']}", flush=True)
    base_mb = baseline.get("maxrss_mb")
    if base_mb is not None:
        print(f"  baseline (imports only): {base_mb:.1f} MB peak RSS", flush=True)

    _setup_django()
    from photos.services import vetting_profile

    profile = vetting_profile(PROFILE)
    import cv2

    try:
        os.sched_setaffinity(0, {0})
        pinned = "CPU 0"
    except (AttributeError, OSError) as error:  # not Linux, or CPU 0 not allowed
        pinned = f"not pinned ({error})"
    cv2.setNumThreads(1)
    print(f"Timing: {args.runs} runs per input after one warm-up, {pinned}, cv2 threads={cv2.getNumThreads()} ...",
          flush=True)

    rows = []
    for kind, data in inputs.items():
        label, median_target = INPUTS[kind]
        width, height = made[kind]["width"], made[kind]["height"]
        times, result = _time(data, profile, args.runs)
        mem = memory[kind]
        peak = mem.get("maxrss_mb")
        increase = None if peak is None or base_mb is None else peak - base_mb
        median = statistics.median(times)
        misses = []
        if median_target is not None and median >= median_target:
            misses.append(f"median {median:.0f} ms >= {median_target} ms (+{median - median_target:.0f} ms, "
                          f"{median / median_target:.2f}x)")
        if peak is None:
            misses.append(f"memory not measured: {mem.get('error')}")
        elif peak >= PEAK_RSS_MB:
            misses.append(f"peak RSS {peak:.0f} MB >= {PEAK_RSS_MB} MB (+{peak - PEAK_RSS_MB:.0f} MB)")
        if mem.get("status") not in (None, result.status):
            misses.append(f"child got status {mem.get('status')} but timing got {result.status}")
        status_text = result.status + (f" ({', '.join(result.reasons)})" if result.reasons else "")
        target_text = (f"<{median_target} ms, " if median_target else "") + f"<{PEAK_RSS_MB} MB"
        rows.append({
            "kind": kind, "label": label, "bytes": len(data), "width": width, "height": height,
            "status": result.status, "reasons": result.reasons, "status_text": status_text,
            "runs": args.runs, "median_ms": median, "p95_ms": _percentile(times, 95), "min_ms": min(times),
            "times_ms": [round(t, 3) for t in times],
            "peak_rss_mb": peak, "rss_increase_mb": increase, "child": mem,
            "median_target_ms": median_target, "peak_rss_target_mb": PEAK_RSS_MB,
            "target_text": target_text, "passed": not misses, "misses": misses,
        })

    print()
    print(_table(rows))
    print()
    print(f"Time: one core ({pinned}), OpenCV 1 thread, {args.runs} runs after a warm-up. "
          f"Memory: ru_maxrss of a fresh process per input; baseline {base_mb if base_mb is None else round(base_mb, 1)} MB "
          "(a child that only imports). The memory target is checked against the absolute peak RSS.")
    missed = [(row["label"], miss) for row in rows for miss in row["misses"]]
    if missed:
        print(f"TARGETS MISSED ({len(missed)}):")
        for label, miss in missed:
            print(f"  - {label}: {miss}")
    else:
        print("All targets met.")

    if args.json:
        report = {"machine": _machine(), "profile": PROFILE, "runs": args.runs, "pinned": pinned,
                  "baseline_rss_mb": base_mb, "baseline_child": baseline, "launcher_rss_mb": launcher_mb,
                  "targets": {"phone_median_ms": PHONE_MEDIAN_MS, "small_median_ms": SMALL_MEDIAN_MS,
                              "peak_rss_mb": PEAK_RSS_MB},
                  "results": [{k: v for k, v in row.items() if k not in ("status_text", "target_text")} for row in rows],
                  "all_targets_met": not missed}
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
