"""Benchmark of parse_target: 10,000 cells of every format; prints total time and µs per cell.

Run: .venv/bin/python bench/bench_targets.py   (not a test; nothing is asserted)
"""

from __future__ import annotations

import collections
import time

from perfdecl.normalize.targets import parse_target

# (cell, unit_hint): the formats met on real forms, weighted roughly as they occur.
MIX = [
    ("≥95%", None), ("≥90%", None), ("100%", None), ("≧95％", None), ("≥10次", None),
    ("78个", None), ("≤30天", None), ("≥160亿", None), ("≥4.5亿元", None), ("≥1.4万人", None),
    ("50000", "人"), ("5000", "万元"), ("≥190元每人每月", None), ("不低于60户/人.月", None),
    ("约5.5万人次", None), ("95%以上", None), ("不低于95%", None), ("10,000人", None),
    ("≤620万/月", None), ("3个百分点", None), ("百分之九十五", None), ("一百二十", None),
    ("90%-95%", None), ("100-200万元", None), ("80~100", "分"),
    ("每年3月底前", None), ("2024年6月30日前", None), ("年底前", None), ("2023.07-2024.01", None),
    ("2020年1月--2020年11月", None),
    ("提升", None), ("实现", None), ("保持稳定", None), ("不低于上年度水平", None), ("有效提升", None),
    ("湛江市基层", None), ("根据下达任务目标要求确定", None), ("1600人、200人", None), ("按月", None),
    ("100%(历史标准)", None), ("(≥**株)>=17600株", None),
]
N = 10_000


def main() -> None:
    cells = [MIX[i % len(MIX)] for i in range(N)]
    parse_target("warm-up")
    start = time.perf_counter()
    kinds = collections.Counter(parse_target(c, unit_hint=h).kind for c, h in cells)
    elapsed = time.perf_counter() - start
    print(f"{N} targets in {elapsed:.3f} s = {elapsed / N * 1e6:.1f} µs per target")
    print("kinds:", dict(sorted(kinds.items())))


if __name__ == "__main__":
    main()
