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
