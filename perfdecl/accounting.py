"""Accounting of a batch: the summary of every file's result (counts, pages, forms, warnings,
errors), and the per-file log lines. Results are accounted in input order, whichever executor made
them."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from .filejob import FileResult
from .names import shown

log = logging.getLogger("perfdecl")


@dataclass
class Summary:
    files: int = 0
    ok: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    forms: int = 0
    indicators: int = 0
    warnings: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    error_codes: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    peak_rss_kb: int = 0  # highest peak resident memory of any worker

    def line(self) -> str:
        failed = f"{self.failed} failed"
        if self.error_codes:
            failed += " (" + ", ".join(f"{c} {n}" for c, n in sorted(self.error_codes.items())) + ")"
        text = (f"{self.files} file(s): {self.ok} converted, {self.skipped} skipped (unchanged), "
                f"{failed}; {self.pages} page(s), {self.forms} form(s), {self.indicators} "
                f"indicator(s) in {self.seconds:.1f} s")
        if self.warnings:
            text += "; warnings: " + ", ".join(f"{c} {n}" for c, n in sorted(self.warnings.items()))
        return text



def account(result: FileResult, summary: Summary) -> None:
    summary.peak_rss_kb = max(summary.peak_rss_kb, result.rss_kb, result.watched_kb)
    if result.error is not None:
        e = result.error
        summary.failed += 1
        summary.errors.append(e)
        summary.error_codes[e["code"]] += 1
        log.info("%s: failed [%s/%s] %s", shown(e["file"]), e["stage"], e["code"], shown(e["message"]))
        if result.traceback:
            log.debug("%s", shown(result.traceback.rstrip(), lines=True))
        return
    if result.status == "skipped":
        summary.skipped += 1
    else:
        summary.ok += 1
    summary.pages += result.pages
    summary.forms += result.forms
    summary.indicators += result.indicators
    summary.warnings.update(result.warnings)
    log.info("%s: %s, %d form(s), %d indicator(s), %d warning(s), %.2f s", shown(result.path),
             result.status, result.forms, result.indicators, sum(result.warnings.values()),
             result.seconds)
