# Two entry points, both from a fresh checkout: `make demo` and `make test`; `make test-fast` is the
# pure-logic tier (small fakes, no model, index, server or browser) for a quick check while editing.
VENV := .venv
BIN := $(VENV)/bin
# `make demo SAMPLE=data/sample-zh` serves the Chinese sample instead.
SAMPLE ?= data/sample
SAMPLE_INDEX := var/$(notdir $(SAMPLE))-index
DEMO_QUERY := $(if $(findstring zh,$(SAMPLE)),红色连衣裙,red kettle)

.PHONY: demo test test-fast screenshot install browser postgres

install: $(VENV)/.installed

# torch first, pinned to the CPU build: any looser requirement pulls the CUDA build (gigabytes). Every other
# package at the version in constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# The page tests drive Debian's Chromium, with a Chinese font for the Chinese page's screenshots;
# installed once, as root (CI) or with sudo.
browser:
	@{ command -v chromium && dpkg -s fonts-wqy-microhei; } >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# The events tests start a throwaway PostgreSQL server from Debian's package; installed once, like the browser.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

demo: install
	$(BIN)/prodsearch index build $(SAMPLE)/products.jsonl --out $(SAMPLE_INDEX)
	$(BIN)/prodsearch search $(SAMPLE_INDEX) "$(DEMO_QUERY)"
	$(BIN)/prodsearch serve $(SAMPLE_INDEX) --port $(or $(PORT),8000)

test: install browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: install
	$(BIN)/python -m pytest -m fast -q

# The README's picture of the page, taken by the browser test itself.
screenshot: install browser
	PRODSEARCH_SCREENSHOT=docs/screenshot.png $(BIN)/python -m pytest tests/web/test_page.py -q
	PRODSEARCH_SCREENSHOT=docs/screenshot-zh.png $(BIN)/python -m pytest tests/web/test_page_zh.py -q
