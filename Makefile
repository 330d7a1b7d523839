# perfdecl — make targets behind the README's commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup bytecode demo test samples accuracy accuracy-samples scans clean bench bench-cluster fuzz-layouts

setup: $(STAMP)

# a virtual environment with perfdecl (editable) and the test tools
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(MAKE) -s bytecode
	touch $(STAMP)

# bytecode of the editable sources, as a wheel install compiles it (start-up of every command:
# `perfdecl --help` 0.16 s without it where PYTHONDONTWRITEBYTECODE is set, 0.06 s with it)
bytecode:
	$(BIN)/python -m compileall -q perfdecl extract normalize models >/dev/null

# convert every sample PDF: JSON per file and the four CSV tables in out/
# the samples that are declaration forms (those with an expected document; staff_list.pdf, not a
# form, shows the error report: `perfdecl convert samples/staff_list.pdf -o out`)
DEMO_PDFS := $(patsubst %.expected.json,%.pdf,$(wildcard samples/*.expected.json samples/scanned/*.expected.json))

demo: setup
	$(BIN)/perfdecl convert $(DEMO_PDFS) -o out --format json,csv

test: setup
	$(BIN)/python -m pytest -q

# redraw the sample PDFs from samples/data (needs the WenQuanYi font). Optional producers, each
# sample kept as committed where its tool is missing: LibreOffice Calc and Writer
# (apt: libreoffice-calc-nogui libreoffice-writer-nogui), python-docx, Chromium (apt: chromium)
samples: setup
	$(BIN)/python -m pip install -q -e '.[samples]'
	-$(BIN)/python -m pip install -q 'python-docx>=1.1'
	$(BIN)/python samples/generate.py

# field accuracy on the real-form corpus (../shared/real/forms), per form and per print
# (LibreOffice, Chromium, 300 dpi scan, degraded 200 dpi scan): docs/accuracy.md
accuracy: setup
	$(BIN)/python scripts/corpus.py --json out/corpus.json

# layout fuzzer: every form held as a table printed by LibreOffice Calc at N random page setups,
# each print's records checked against the form's reference (docs/layouts.md; apt:
# libreoffice-calc-nogui fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-uming fonts-arphic-ukai)
N    ?= 50
SEED ?= 10
JOBS ?= 2
fuzz-layouts: setup
	$(BIN)/python scripts/fuzz_layouts.py --setups $(N) --seed $(SEED) --jobs $(JOBS)

# field accuracy per sample set and OCR engine, pipeline vs bare-engine time (docs/ocr.md)
accuracy-samples: setup
	$(BIN)/python scripts/accuracy.py --json out/accuracy.json

# redraw the scanned variants of the samples (samples/scanned/) from the sample PDFs
scans: setup
	$(BIN)/python samples/scan.py

clean:
	rm -rf out .pytest_cache

# issue 14's comparisons, figures in the README: text as whole processes against bare pdfplumber
# `extract_tables()` (corpus LibreOffice prints, the 200-file archive, `--help`, a 3,000-page
# file's memory); scans against bare full-page RapidOCR (corpus scans and scanned samples);
# then the batch with 1 and 2 jobs (bench_pipeline.py), then the same archive on a local 2-worker
# Dask cluster against --jobs 2 (bench_cluster.py; `make bench-cluster` runs that alone)
bench: setup bytecode
	mkdir -p out
	$(BIN)/python bench/bench_text.py --json out/bench-text.json
	$(BIN)/python bench/bench_ocr.py --json out/bench-ocr.json
	$(BIN)/python bench/bench_pipeline.py --files 200 --scanned 4 --repeat 2 --jobs-only
	$(BIN)/python bench/bench_cluster.py --files 200 --repeat 2 --json out/bench-cluster.json

# the 200-file text archive through a local 2-worker Dask cluster next to --jobs 2 (figures in the
# README, "Running on a cluster")
bench-cluster: setup
	$(BIN)/python bench/bench_cluster.py --files 200 --repeat 2
