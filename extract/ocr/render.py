"""Page images for OCR: PDF pages rendered with pypdfium2, or image files (PNG, JPEG, TIFF with
several pages). Every page image is 8-bit grayscale with its scale in pixels per PDF point, so
boxes convert back to points (top-left origin, like pdfplumber) by dividing by `scale`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ... import limits
from ...errors import CorruptPdfError, EncryptedPdfError, ImageReadError

if TYPE_CHECKING:  # numpy is imported where a page is rendered, not for every text PDF
    import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

# File signatures, so that an image with a wrong suffix still opens as an image.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


@dataclass
class PageImage:
    page: int               # 1-based
    image: np.ndarray       # uint8 grayscale, rows x columns
    scale: float            # pixels per PDF point (dpi / 72)
    width_pt: float
    height_pt: float


def is_image_file(path: Path) -> bool:
    """An image input: by suffix, or by its first bytes."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return any(head.startswith(m) for m in _IMAGE_MAGIC)


def render_pdf_pages(path: Path, pages: Sequence[int], dpi: float,
                     password: str | None = None) -> Iterator[PageImage]:
    """Render the given 1-based pages at `dpi`, grayscale, one at a time."""
    import numpy as np
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path), password=password or None)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise EncryptedPdfError("the PDF is encrypted; pass its password", file=str(path)) from exc
        raise CorruptPdfError(f"the PDF cannot be rendered: {exc}", file=str(path)) from exc
    try:
        scale = dpi / 72.0
        for number in pages:
            page = pdf[number - 1]
            try:
                limits.check_pixels(page.get_width() * scale, page.get_height() * scale,
                                    f"page {number} at {dpi:g} dpi", file=str(path))
                bitmap = page.render(scale=scale, grayscale=True)
                arr = bitmap.to_numpy()
                gray = np.ascontiguousarray(arr[..., 0] if arr.ndim == 3 else arr)
                yield PageImage(page=number, image=gray, scale=scale,
                                width_pt=page.get_width(), height_pt=page.get_height())
            finally:
                page.close()
    finally:
        pdf.close()


def _open_image(path: Path):
    """Pillow's image (not decoded yet), or `ImageReadError`. Pillow refuses images past twice its
    own pixel limit (DecompressionBombError): that is a bad image too."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageReadError(f"the image cannot be read: {exc}", file=str(path)) from exc


def _check_frame(im, number: int, path: Path) -> None:
    """Refuse a frame whose pixels pass `max_image_pixels` before decoding it: a 37 KB PNG can
    hold 13,000² pixels, gigabytes once decoded and converted."""
    width, height = im.size
    limits.check_pixels(width, height, f"page {number} of the image", key="max_image_pixels",
                        file=str(path))


def image_page_count(path: Path) -> int:
    with _open_image(path) as im:
        try:
            return getattr(im, "n_frames", 1)
        except (OSError, ValueError, EOFError) as exc:
            raise ImageReadError(f"the image cannot be read: {exc}", file=str(path)) from exc


def load_image_pages(path: Path, pages: Sequence[int] | None = None, *, dpi: float = 200,
                     assumed_dpi: float = 200, max_dpi: float = 300) -> Iterator[PageImage]:
    """The frames of an image file as pages. The page size in points comes from the image's own
    resolution (`assumed_dpi` where it states none); frames scanned finer than `max_dpi` are
    reduced to `dpi`, since OCR time grows with the pixels and accuracy does not."""
    import warnings

    import cv2
    import numpy as np
    from PIL import Image, ImageOps

    im = _open_image(path)
    with im, warnings.catch_warnings():
        # the frame's size is checked against perfdecl's own cap before it is decoded
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        count = getattr(im, "n_frames", 1)
        for number in pages or range(1, count + 1):
            try:
                im.seek(number - 1)
                _check_frame(im, number, path)
                frame = ImageOps.exif_transpose(im.copy()) or im.copy()
                res = frame.info.get("dpi") or im.info.get("dpi")
                src_dpi = float(res[0]) if res and res[0] and float(res[0]) > 30 else float(assumed_dpi)
                gray = np.asarray(frame.convert("L"), dtype=np.uint8)
            except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
                raise ImageReadError(f"page {number} of the image cannot be read: {exc}",
                                     file=str(path)) from exc
            h, w = gray.shape
            width_pt, height_pt = w * 72.0 / src_dpi, h * 72.0 / src_dpi
            work_dpi = src_dpi
            if src_dpi > max_dpi:
                work_dpi = float(dpi)
                gray = cv2.resize(gray, (round(w * work_dpi / src_dpi), round(h * work_dpi / src_dpi)),
                                  interpolation=cv2.INTER_AREA)
            yield PageImage(page=number, image=np.ascontiguousarray(gray), scale=work_dpi / 72.0,
                            width_pt=width_pt, height_pt=height_pt)
