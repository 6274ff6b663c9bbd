"""The editing engine: time per image, ratio to bare Pillow, throughput, cut-out quality.

    PYTHONPATH=$PWD .venv/bin/python bench/engine.py [--runs 15] [--per-kind 24]

1. A 2000x2000 JPEG product shot from the BigCommerce sandbox renderer (grey sweep with
   a floor shadow, and white) -> white background, trimmed, 10 % margins, 1600x1600 JPEG
   q85: median ms per image in one process pinned to one core, and the ratio to bare
   Pillow (decode + Lanczos resize to 1600x1600 + encode q85) of the same bytes, the two
   interleaved in the same run (goal: ratio <= 3).
2. Images per second with 2 worker processes (a process pool, as the production worker).
3. Mean IoU of the automatic cut-out against the renderer's true masks, per background
   kind, with the mean confidence and the share sent to a retoucher.
4. The share of engine results that pass the validator (margins to 1 px and the rest) for
   three common specs on studio photos.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core means one core, BLAS included
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from core.production.engine import CONFIDENCE_FLOOR, edit  # noqa: E402
from core.production.validator import validate  # noqa: E402
from core.specs.options import validate as spec_of  # noqa: E402
from plugins.bigcommerce.sandbox import render  # noqa: E402
from plugins.bigcommerce.sandbox.catalog import COLOURS, Picture  # noqa: E402

SPEC = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"},
                "margins": {"top": 10, "bottom": 10, "left": 10, "right": 10},
                "size": {"mode": "CANVAS", "width": 1600, "height": 1600}, "formats": ["JPEG"], "quality": 85})
CUTOUT = spec_of({"background": {"kind": "TRANSPARENT"}, "formats": ["PNG"]})
SHAPES = ["bottle", "box", "shirt", "ball", "shoe", "mug", "lamp"]
PALETTE = list(COLOURS.values())


def bare(data: bytes) -> bytes:
    im = Image.open(io.BytesIO(data))
    im = im.resize((1600, 1600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def shot(background: str) -> bytes:
    return render.encode(Picture(424242, "shoe", (168, 78, 40), background, 2000, 2000, "JPEG", 90, 1))


def one_core(data: bytes, runs: int) -> tuple[float, float]:
    edit(data, SPEC), bare(data)  # warm up
    engine_ms, bare_ms = [], []
    for _ in range(runs):
        t = time.perf_counter()
        edit(data, SPEC)
        engine_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        bare(data)
        bare_ms.append((time.perf_counter() - t) * 1000)
    return statistics.median(engine_ms), statistics.median(bare_ms)


def pool_rate(data: bytes, jobs: int) -> float:
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(edit, [data] * 2, [SPEC] * 2))  # start both workers
        t = time.perf_counter()
        list(pool.map(edit, [data] * jobs, [SPEC] * jobs))
        return jobs / (time.perf_counter() - t)


def cutout_quality(kind: str, n: int, side: int) -> tuple[float, float, float, float]:
    ious, confidences, retoucher = [], [], 0
    for i in range(n):
        pic = Picture(50_000 + 17 * i, SHAPES[i % 7], PALETTE[(3 * i) % 16], kind, side,
                      side if i % 3 else side * 4 // 3, "JPEG", 78 + i % 18, (1, 1, 6, 3)[i % 4])
        result = edit(render.encode(pic), CUTOUT)
        cut = np.asarray(Image.open(io.BytesIO(result.data)).getchannel("A")) >= 128
        true = np.asarray(render.mask_of(pic)) >= 128
        ious.append((cut & true).sum() / (cut | true).sum())
        confidences.append(result.confidence)
        retoucher += result.confidence < CONFIDENCE_FLOOR
    return float(np.mean(ious)), float(np.min(ious)), float(np.mean(confidences)), retoucher / n


COMMON = [
    spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"}, "size": {"mode": "CANVAS", "width": 500,
             "height": 500}, "margins": {"top": 10, "bottom": 10, "left": 10, "right": 10}}),
    spec_of({"background": {"kind": "COLOUR", "colour": "#F2F2F2"}, "crop": {"kind": "ASPECT", "aspect_width": 3,
             "aspect_height": 4}, "margins": {"unit": "PX", "top": 10, "bottom": 30, "left": 10, "right": 10},
             "alignment": "BOTTOM", "formats": ["WEBP"]}),
    spec_of({"background": {"kind": "TRANSPARENT"}, "crop": {"kind": "EXACT", "width": 400, "height": 300},
             "margins": {"top": 5, "bottom": 5, "left": 5, "right": 5}, "formats": ["PNG"], "alignment": "TOP"}),
]


def validator_pass_rate(n: int) -> tuple[int, int]:
    passed = total = 0
    for i in range(n):
        for kind in ("white", "sweep", "colored"):
            pic = Picture(80_000 + 31 * i, SHAPES[i % 7], PALETTE[(7 * i) % 16], kind, 500,
                          500 if i % 3 else 640, "JPEG", 78 + i % 18, (1, 1, 6, 3)[i % 4])
            data = render.encode(pic)
            for spec in COMMON:
                total += 1
                passed += not validate(edit(data, spec).data, spec)
    return passed, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--jobs", type=int, default=30)
    ap.add_argument("--per-kind", type=int, default=24)
    ap.add_argument("--side", type=int, default=800)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    all_cores = os.sched_getaffinity(0)
    for background in ("sweep", "white"):
        data = shot(background)
        result = edit(data, SPEC)
        os.sched_setaffinity(0, {min(all_cores)})
        engine_ms, bare_ms = one_core(data, args.runs)
        os.sched_setaffinity(0, all_cores)
        print(f"2000x2000 {background} JPEG ({len(data) // 1024} KB) -> white, trimmed, 10 % margins, 1600x1600 q85 "
              f"({len(result.data) // 1024} KB, confidence {result.confidence}):")
        print(f"  one core: engine {engine_ms:.0f} ms/image, bare Pillow decode+resize+encode {bare_ms:.0f} ms, "
              f"ratio {engine_ms / bare_ms:.2f}")
    rate = pool_rate(shot("sweep"), args.jobs)
    print(f"  2 worker processes: {rate:.1f} images/s ({args.jobs} sweep images)")
    print(f"cut-out quality, {args.per_kind} sandbox photos per kind, ~{args.side} px, JPEG q78-95, some rotated:")
    for kind in ("white", "sweep", "colored", "textured"):
        mean, worst, conf, to_retoucher = cutout_quality(kind, args.per_kind, args.side)
        print(f"  {kind:9s} mean IoU {mean:.4f} (worst {worst:.3f})  mean confidence {conf:.2f}  "
              f"to a retoucher {to_retoucher:.0%}")
    passed, total = validator_pass_rate(args.per_kind)
    print(f"engine results passing the validator (3 specs x {args.per_kind} photos x white/sweep/colored, "
          f"500 px): {passed}/{total}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
