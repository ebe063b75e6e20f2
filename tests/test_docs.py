"""The README and docs/ stay true by themselves: generated parts match `lmc --help` (cog --check), every
command's help has a purpose and an example, relative links resolve, and the README's quickstart runs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli_help import command_names, examples, help_text, purpose

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LMC = [sys.executable, "-c", "from assistant.cli import main; main()"]


def test_generated_parts_match_the_cli():
    """cog --check: the commands table and docs/cli.md are what assistant/cli_help.py makes of the CLI."""
    cogged = [str(p.relative_to(ROOT)) for p in PAGES if "[[[cog" in p.read_text(encoding="utf-8")]
    assert "README.md" in cogged and "docs/cli.md" in cogged
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", *cogged], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"run `make docs` to regenerate:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("name", [None, *command_names()])
def test_generated_help_is_what_lmc_prints(name):
    env = dict(os.environ, COLUMNS="120")
    args = [name, "--help"] if name else ["--help"]
    result = subprocess.run([*LMC, *args], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and result.stdout == help_text(name) + "\n"


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_a_purpose_and_a_runnable_example(name):
    assert purpose(name).endswith(".") and len(purpose(name)) <= 110
    assert examples(name), f"lmc {name} --help has no Example"
    for line in examples(name):
        words = [w for w in shlex.split(line) if not re.match(r"^[A-Z_]+=", w)]
        assert words[:2] == ["lmc", name], line


def test_relative_links_point_at_files():
    missing = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                missing.append(f"{page.relative_to(ROOT)}: {target}")
    assert not missing


def test_readme_stays_short():
    assert len(README.read_bytes()) <= 12_800, "the README is read in five minutes; move detail to docs/"


def quickstart() -> list[tuple[str, list[str]]]:
    """The README's quickstart: each `$ lmc ...` line with the output pasted under it."""
    text = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    block = text.split("```text\n", 1)[1].split("```", 1)[0]
    runs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        elif runs:
            runs[-1][1].append(line)
    return runs


REFUSALS = ("The documents do not contain an answer to this question.", "文档中没有关于这个问题的答案。")


def lines_that_matter(command: str, output: list[str]) -> list[str]:
    """What must hold whatever the answer's wording: the index summary's shape, whether it answers or
    refuses, and the document behind the first citation (its title line)."""
    if command.startswith("lmc index"):
        return [re.sub(r"\d+(\.\d+)?", "#", output[0].split(" (")[0])]
    keep = [line for line in output if line in REFUSALS or line in ("Sources:",)
            or line.startswith("Closest passages")]
    first = next((line for line in output if line.startswith("[1] ")), None)
    return keep + ([first] if first else [])


def test_quickstart_commands_are_those_the_readme_explains():
    runs = quickstart()
    assert [shlex.split(c)[:2] for c, _ in runs] == [["lmc", "index"], ["lmc", "ask"], ["lmc", "ask"], ["lmc", "ask"]]
    answers = [lines_that_matter(c, out) for c, out in runs[1:]]
    assert "Sources:" in answers[0] and "Sources:" in answers[1] and any(r in answers[2] for r in REFUSALS)


@pytest.mark.model
def test_quickstart_runs_as_shown(real_index, real_settings, tmp_path):
    """Each command of the README's quickstart, run for real: it succeeds, and the lines that matter are
    those pasted in the README (the same cited document, the same refusal)."""
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)          # `lmc index` then reuses its embedding cache
    env = dict(os.environ, LMC_INDEX=str(index_dir), COLUMNS="100")
    for command, shown in quickstart():
        argv = shlex.split(command)
        result = subprocess.run([*LMC, *argv[1:]], capture_output=True, text=True, env=env, timeout=600)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        got = result.stdout.splitlines()
        want = lines_that_matter(command, shown)
        assert lines_that_matter(command, got) == want, f"{command}\n{result.stdout}"
