# perfdecl — make targets behind the README's commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test samples clean

setup: $(STAMP)

# a virtual environment with perfdecl (editable) and the test tools
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# convert every sample PDF: JSON per file and the four CSV tables in out/
demo: setup
	$(BIN)/perfdecl convert samples -o out --format json,csv

test: setup
	$(BIN)/python -m pytest -q

# redraw the sample PDFs from samples/data (needs the WenQuanYi font; LibreOffice optional)
samples: setup
	$(BIN)/python -m pip install -q -e '.[samples]'
	$(BIN)/python samples/generate.py

clean:
	rm -rf out .pytest_cache
