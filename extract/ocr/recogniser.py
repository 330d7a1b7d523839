"""The text-line recogniser alone: PP-OCR's recognition model (the ONNX file shipped in the rapidocr
wheel) run by onnxruntime directly, for lines whose boxes the table grid and the ink already give.

Why not through rapidocr: importing it builds its whole configuration tree (about 0.65 s of CPU
in every worker process, a quarter of reading a one-page scan) and its pipeline object loads the
detector, which the ink reader does not run on table cells. The recogniser itself is small: each
line scaled to the model's height, a batch padded to its widest line, and the CTC output read as
the best class of every column with repeats and blanks dropped (PP-OCR's published recognition
pre- and post-processing). The text and scores are those rapidocr's recogniser gives for the same
crops (tests/test_ocr_engines.py compares them); rapidocr still runs the detector where one is
needed (`RapidOcrEngine.read_lines`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ...errors import OcrEngineError

HEIGHT = 48  # px: the model's input height
# A crop whose shorter side is under this is scaled up to it first, its sides rounded to
# multiples of 32: what the engine did to a single re-read crop (edge and lone marks) when those
# repairs were measured, kept so that they read as they did
MIN_SIDE = 30


class LineRecogniser:
    """Recognises batches of text-line crops (grayscale or BGR) with one onnxruntime session.

    `threads`: onnxruntime's intra-op threads (0: its default, the physical cores). Its waiting
    threads sleep instead of spinning: measured on 2 cores (docs/ocr.md), the same batches took
    about a third less CPU and no more wall time, every score bit for bit the same."""

    def __init__(self, model: Path, *, min_width: int, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        # onnxruntime's memory arena kept: batches are bounded by width (`rec_batch_px`), so the
        # arena stays as small as the widest batch needs, and reusing it rather than asking the
        # system for every batch's buffers made recognition about 10 % faster (docs/ocr.md)
        options.enable_cpu_mem_arena = True
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise OcrEngineError(f"recognition model {Path(model).name} holds no character list")
        # class 0 is CTC's blank; the model's last class is a space
        self.classes = ["", *meta["character"].splitlines(), " "]
        self.input = self.session.get_inputs()[0].name
        self.min_width = float(min_width)
        self.min_ratio = self.min_width / HEIGHT

    def padded_width(self, crop: np.ndarray) -> float:
        """The crop's width at the model's height, padded to `min_width`: what it costs in a batch."""
        return max(HEIGHT * crop.shape[1] / max(crop.shape[0], 1), self.min_width)

    def read(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Text and score of each crop, recognised as one batch (padded to the widest)."""
        if not crops:
            return []
        images = [_bgr(c) for c in crops]
        ratios = [img.shape[1] / float(img.shape[0]) for img in images]
        width = int(HEIGHT * max(self.min_ratio, *ratios))
        batch = np.zeros((len(images), 3, HEIGHT, width), dtype=np.float32)
        for k, (img, ratio) in enumerate(zip(images, ratios)):
            w = min(width, int(math.ceil(HEIGHT * ratio)))
            scaled = cv2.resize(img, (w, HEIGHT)).astype(np.float32).transpose((2, 0, 1)) / 255
            scaled -= 0.5
            scaled /= 0.5
            batch[k, :, :, :w] = scaled
        scores = self.session.run(None, {self.input: batch})[0]
        return [self._decode(s) for s in scores]

    def read_one(self, crop: np.ndarray) -> tuple[str, float]:
        """One crop alone, a small one scaled up first (MIN_SIDE)."""
        img = _bgr(crop)
        h, w = img.shape[:2]
        if min(h, w) < MIN_SIDE:
            scale = MIN_SIDE / min(h, w)
            size = (int(round(int(w * scale) / 32) * 32), int(round(int(h * scale) / 32) * 32))
            if min(size) <= 0:
                return "", 0.0
            img = cv2.resize(img, size)
        return self.read([img])[0]

    def _decode(self, columns: np.ndarray) -> tuple[str, float]:
        best = columns.argmax(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        probabilities = [round(p, 5) for p in columns.max(axis=1)[keep].tolist()] or [0]
        text = "".join(self.classes[i] for i in best[keep])
        return text, float(np.mean(probabilities).round(5))


def _bgr(crop: np.ndarray) -> np.ndarray:
    """The model reads three channels; the pages are rendered grey."""
    if crop.ndim == 2 or crop.shape[2] == 1:
        return cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    return crop
