"""Pages scanned turned a quarter or a half, found from the page image and turned upright.

A page is fed to the scanner sideways (a landscape form on a portrait scanner) or upside down;
the grid finder and the engine read only upright text. Two questions, both answered by models
that ship inside the rapidocr wheel, run here directly on onnxruntime (whatever engine reads the
page afterwards):

1. **Sideways or not.** The PP-OCR text detector runs once on the page reduced to
   `det_side` pixels; its text-probability map, thresholded, gives one blob per text line. A line
   of several characters is long along its reading direction, so on an upright (or upside-down)
   page the elongated blobs lie flat, on a sideways page they stand tall. Square blobs (single
   characters) say nothing and are not counted.
2. **Which way up.** The PP-OCR text-line orientation classifier (0° or 180°) reads the longest
   lines, cut into pieces of its own 4:1 input shape, with the page turned flat where it stood
   sideways; the votes decide between 0 and 180 (or 90 and 270).

Conservative: a page is turned only on clear evidence (enough lines, a clear majority each way);
otherwise it is read as it is. The turn is `orientation.Turn`, the text path's convention, so the
normalizer maps provenance boxes back onto the page as displayed (`to_page_box`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ...errors import OcrEngineError
from ..orientation import Turn
from .render import PageImage

log = logging.getLogger(__name__)

ORIENT_SETTINGS: dict = {
    "det_side": 800,        # px: longest side of the page for line detection (9 pt text at
                            # 200 dpi on A4 stays ~9 px high, which the detector still finds)
    "det_thresh": 0.3,      # text-probability threshold (the detector's own default)
    "line_score": 0.6,      # a blob is text when its mean probability is at least this
    "max_line_share": 0.06, # ... and it is no thicker than this share of the page's long side
    "min_lines": 4,         # fewer elongated lines than this: too little to decide, keep the page
    "elongation": 2.0,      # a blob this many times longer than thick is a line with a direction
    "sideways_share": 0.8,  # share of the elongated lines standing tall to call the page sideways
    "cls_lines": 16,        # longest lines classified
    "cls_pieces": 24,       # pieces classified at most (a long line gives several)
    "flip_share": 0.8,      # share of confident pieces read upside down to turn by a half
    "flip_min_pieces": 6,   # confident pieces needed to turn by a half
    "cls_confident": 0.9,   # a piece counts when the classifier is at least this sure
}

# onnxruntime sessions are built once per process; one call at a time runs each of them
_lock = threading.Lock()


@dataclass
class Orientation:
    """What was decided for one page: the clockwise turn that makes it upright, and why."""

    degrees: int            # 0, 90, 180 or 270
    lines: int = 0          # elongated text lines found
    tall: int = 0           # of them standing tall
    pieces: int = 0         # confident classifier votes
    flipped: int = 0        # of them upside down
    seconds: float = 0.0


def _model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise OcrEngineError(f"rapidocr is not installed: {exc}") from exc
    return Path(rapidocr.__file__).parent / "models"


@lru_cache(maxsize=2)
def _session(name: str):
    import onnxruntime as ort

    model = _model_dir() / name
    if not model.is_file():  # never downloaded: the model ships inside the rapidocr wheel
        raise OcrEngineError(f"orientation model {name} is not in the installed rapidocr wheel")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # no memory arena: an arena keeps the largest page's working memory for the process's life
    # (+165 MB per OCR worker), and these models run once or twice a page
    options.enable_cpu_mem_arena = False
    # waiting threads sleep instead of spinning: the same answers for less CPU (docs/ocr.md)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


DET_MODEL = "PP-OCRv6_det_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
_CLS_H, _CLS_W = 48, 192


def _normalise(rgb_like: np.ndarray) -> np.ndarray:
    """uint8 gray H×W → float32 1×3×H×W in [-1, 1], as both PP-OCR models were trained."""
    x = rgb_like.astype(np.float32) / 127.5 - 1.0
    return np.repeat(x[None, None], 3, axis=1)


def line_boxes(gray: np.ndarray, settings: dict) -> list[tuple[int, int, int, int]]:
    """Text-line blobs of the page: (x0, y0, x1, y1) in the page's pixels."""
    h, w = gray.shape
    factor = min(1.0, settings["det_side"] / max(h, w))
    rh, rw = max(32, round(h * factor / 32) * 32), max(32, round(w * factor / 32) * 32)
    small = cv2.resize(gray, (rw, rh), interpolation=cv2.INTER_AREA)
    with _lock:
        prob = _session(DET_MODEL).run(None, {"x": _normalise(small)})[0][0, 0]
    mask = (prob > settings["det_thresh"]).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    # a blob's mean probability: text scores 0.8-1; a blank or evenly grey page leaves wide
    # blobs of about 0.35 (the model's answer to nothing), which are no lines
    score = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=n) / np.maximum(stats[:, 4], 1)
    thickest = settings["max_line_share"] * max(rh, rw)
    sx, sy = w / rw, h / rh
    boxes = []
    for k in range(1, n):
        x, y, bw, bh, area = stats[k]
        if area < 6 or score[k] < settings["line_score"] or min(bw, bh) > thickest:
            continue
        boxes.append((int(x * sx), int(y * sy), int((x + bw) * sx), int((y + bh) * sy)))
    return boxes


def _pieces(gray: np.ndarray, box, quarter_turns: int, limit: int) -> list[np.ndarray]:
    """The line cut out of the page (a little margin), turned flat by `quarter_turns` (numpy's
    counter-clockwise rot90), cut into at most `limit` pieces of the classifier's 4:1 shape."""
    x0, y0, x1, y1 = box
    pad = max(2, (min(x1 - x0, y1 - y0)) // 4)
    crop = np.rot90(gray[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad], quarter_turns)
    h, w = crop.shape
    if h < 4 or w < 4 or limit < 1:
        return []
    step = max(1, h * _CLS_W // _CLS_H)
    starts = range(0, max(1, w - step // 2), step)
    return [np.ascontiguousarray(crop[:, a:a + step]) for a in starts][:limit]


def _classify(pieces: list[np.ndarray]) -> np.ndarray:
    """Probability that each piece is upside down."""
    batch = np.zeros((len(pieces), 3, _CLS_H, _CLS_W), dtype=np.float32)
    for i, piece in enumerate(pieces):
        h, w = piece.shape
        width = min(_CLS_W, max(1, int(np.ceil(_CLS_H * w / h))))
        resized = cv2.resize(piece, (width, _CLS_H), interpolation=cv2.INTER_LINEAR)
        batch[i, :, :, :width] = _normalise(resized)[0]
    with _lock:
        probs = _session(CLS_MODEL).run(None, {"x": batch})[0]
    return probs[:, 1]


def find_orientation(gray: np.ndarray, settings: dict | None = None) -> Orientation:
    """The clockwise turn (0, 90, 180, 270) that makes the page image upright; 0 when unsure."""
    start = time.perf_counter()
    out = _decide(gray, {**ORIENT_SETTINGS, **(settings or {})})
    out.seconds = time.perf_counter() - start
    return out


def _decide(gray: np.ndarray, s: dict) -> Orientation:
    boxes = line_boxes(gray, s)
    flat, tall = [], []
    for b in boxes:
        w, h = b[2] - b[0], b[3] - b[1]
        if max(w, h) >= s["elongation"] * max(1, min(w, h)):
            (tall if h > w else flat).append(b)
    out = Orientation(0, lines=len(flat) + len(tall), tall=len(tall))
    if out.lines < s["min_lines"]:
        return out
    sideways = len(tall) >= s["sideways_share"] * out.lines
    if not sideways and len(flat) < s["sideways_share"] * out.lines:
        return out  # neither clearly flat nor clearly tall
    lines = sorted(tall if sideways else flat, key=lambda b: -max(b[2] - b[0], b[3] - b[1]))
    pieces: list[np.ndarray] = []
    for box in lines[:s["cls_lines"]]:
        # two pieces a line at most: votes from many lines, not from one long text; a sideways
        # page is looked at turned a quarter clockwise (numpy: three counter-clockwise)
        pieces += _pieces(gray, box, 3 if sideways else 0, min(2, s["cls_pieces"] - len(pieces)))
    p180 = _classify(pieces) if pieces else np.zeros(0)
    out.pieces = int(((p180 >= s["cls_confident"]) | (p180 <= 1 - s["cls_confident"])).sum())
    out.flipped = int((p180 >= s["cls_confident"]).sum())
    if sideways:
        # not upright either way: the likelier of the two quarter turns, if the votes tell
        if 2 * out.flipped != out.pieces:
            out.degrees = 270 if 2 * out.flipped > out.pieces else 90
    elif out.pieces >= s["flip_min_pieces"] and out.flipped >= s["flip_share"] * out.pieces:
        out.degrees = 180
    return out


def turn_image(gray: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned clockwise by `degrees` (a multiple of 90)."""
    return np.ascontiguousarray(np.rot90(gray, -(degrees // 90) % 4))


def upright_page(page: PageImage, settings: dict | None = None) -> tuple[PageImage, Turn | None, Orientation]:
    """The page image turned upright where it was scanned turned, the turn (in the displayed
    page's points, for `to_page_box`) or None, and the decision."""
    found = find_orientation(page.image, settings)
    if not found.degrees:
        return page, None, found
    log.info("page %d scanned turned: read turned %d° clockwise (%d of %d lines tall, %d of %d "
             "pieces upside down)", page.page, found.degrees, found.tall, found.lines,
             found.flipped, found.pieces)
    turn = Turn(found.degrees, 0.0, 0.0, page.width_pt, page.height_pt)
    sideways = found.degrees in (90, 270)
    turned = PageImage(page=page.page, image=turn_image(page.image, found.degrees), scale=page.scale,
                       width_pt=page.height_pt if sideways else page.width_pt,
                       height_pt=page.width_pt if sideways else page.height_pt)
    return turned, turn, found
