# Two entry points, both from a fresh checkout: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_INDEX := var/sample-index

.PHONY: demo test install

install: $(VENV)/.installed

# torch first, pinned to the CPU build: any looser requirement pulls the CUDA build (gigabytes).
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/prodsearch index build data/sample/products.jsonl --out $(SAMPLE_INDEX)
	$(BIN)/prodsearch search $(SAMPLE_INDEX) "red kettle" --mode bm25
	$(BIN)/prodsearch search $(SAMPLE_INDEX) "something to keep my drinks cold" --mode dense

test: install
	$(BIN)/python -m pytest
