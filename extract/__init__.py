"""Extract stage: a PDF or page image into tables of cells and loose text lines
(`document.extract_document`; docs/architecture.md)."""

# which pages are OCR'd: those without a usable text layer, and image files; every page; none.
# Here, not in document.py, so that the CLI's parser names them without importing pdfplumber.
OCR_MODES = ("auto", "always", "never")
