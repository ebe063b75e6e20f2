# Two commands set everything up on a fresh machine:
#   make run   -> the chat app on the bundled corpus and model (http://127.0.0.1:7860)
#   make test  -> the whole test suite (CI runs exactly this)
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := $(wildcard /opt/wheels)
PIP := $(BIN)/pip install --quiet --disable-pip-version-check $(if $(WHEELS),--find-links $(WHEELS))
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False

.PHONY: run test setup browser index clean

$(BIN)/lmc: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) torch==2.13.0          # first and pinned: the CPU wheel, not GBs of CUDA
	$(PIP) -e '.[test]'
	touch $(BIN)/lmc

setup: $(BIN)/lmc

index: setup
	$(BIN)/lmc index

run: setup
	$(BIN)/lmc serve

browser:   # chromium for tests/test_browser.py; a CJK font so screenshots show Chinese, not boxes
	@{ test -x /usr/bin/chromium && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  echo "Installing Debian chromium and a CJK font for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

test: setup browser
	$(BIN)/python -m pytest

clean:
	rm -rf .lmc .pytest_cache test-artifacts
