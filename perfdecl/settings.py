"""Settings dicts a caller passes (`convert(ocr_settings=..., limits=...)`, review settings):
a key the defaults do not have is a `SettingsError` naming it and the likely intended key,
never ignored in silence."""

from __future__ import annotations

from dataclasses import dataclass, field

from .datafiles import closest
from .errors import SettingsError


@dataclass
class SettingsShape:
    """The keys a settings dict may hold: its defaults, and sub-dicts with keys of their own."""

    defaults: dict
    nested: dict[str, SettingsShape] = field(default_factory=dict)


def check_settings(given: dict | None, shape: SettingsShape, *, name: str, path: str = "") -> None:
    """Raise `SettingsError` for a key of `given` the defaults do not have (`{"engine":
    {"thread": 2}}` → unknown setting engine.thread; did you mean engine.threads?)."""
    if given is None:
        return
    if not isinstance(given, dict):
        raise SettingsError(f"{name}{' ' + path if path else ''} must be a dict, not "
                            f"{type(given).__name__}", key=path)
    for key, value in given.items():
        full = _join(path, key)
        if key not in shape.defaults:
            guess = closest(key, shape.defaults)
            hint = f"; did you mean {_join(path, guess)!r}?" if guess else \
                f"; known: {', '.join(shape.defaults)}"
            raise SettingsError(f"unknown {name} setting {full!r}{hint}", key=full,
                                suggestion=_join(path, guess) if guess else None)
        if key in shape.nested and value is not None:
            check_settings(value, shape.nested[key], name=name, path=full)


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def check_ocr_settings(settings: dict | None, engine: str | None = None) -> None:
    """`convert(ocr_settings=...)`: the keys of `extract.ocr.OCR_SETTINGS`, `lines` those of
    `lines.LINE_SETTINGS`, `engine` those of the engine's settings (its `bands`: `BAND_SETTINGS`).
    The OCR modules (OpenCV) are imported only when a nested dict is given."""
    from .extract.ocr import OCR_SETTINGS

    nested: dict[str, SettingsShape] = {}
    if isinstance(settings, dict) and settings.get("lines"):
        from .extract.ocr.lines import LINE_SETTINGS

        nested["lines"] = SettingsShape(LINE_SETTINGS)
    if isinstance(settings, dict) and settings.get("engine"):
        from .extract.ocr.bands import BAND_SETTINGS
        from .extract.ocr.engines import DEFAULT_ENGINE, RAPIDOCR_SETTINGS, TESSERACT_SETTINGS

        engines = {"rapidocr": SettingsShape(RAPIDOCR_SETTINGS,
                                             {"bands": SettingsShape(BAND_SETTINGS)}),
                   "tesseract": SettingsShape(TESSERACT_SETTINGS)}
        name = (engine or DEFAULT_ENGINE).lower()
        if name in engines:  # an unknown engine is an OcrEngineError of its own
            nested["engine"] = engines[name]
    check_settings(settings, SettingsShape(OCR_SETTINGS, nested), name="OCR")
