"""Shared fixtures. The real index is built once per test session from the bundled corpus."""

from __future__ import annotations

import dataclasses
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.config import Settings  # noqa: E402
from corpus import DEFAULT_CORPUS, load_documents  # noqa: E402


@pytest.fixture(scope="session")
def documents():
    return load_documents(DEFAULT_CORPUS)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Default settings with the index in a session temporary folder."""
    return dataclasses.replace(Settings(), index_dir=tmp_path_factory.mktemp("real") / "index")


@pytest.fixture(scope="session")
def real_index(real_settings):
    """The real index (MiniLM + USE + BM25) over the bundled corpus, built and saved once."""
    from index.store import open_index
    return open_index(real_settings, log=lambda m: None, progress=False)


@pytest.fixture(scope="session")
def assistant(real_index, real_settings):
    """The real Assistant over the real index."""
    from assistant.answer import Assistant
    return Assistant(real_index, real_settings)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """The URL (…/v1) of a real llama-cpp-python server running SmolLM2-135M on a free loopback port,
    started once for the session and stopped after it (installed by `make test`; see tests/llama.py)."""
    from tests import llama
    from tests.fakes import free_port
    python = llama.llama_python()
    if python is None:
        message = "llama-cpp-python is not installed in .venv/llama; run `make llm-server`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    process = llama.start(python, port, log)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        llama.wait_ready(process, url, log)
        yield url
    finally:
        llama.stop(process)
