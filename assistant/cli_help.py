"""The CLI's reference, generated from the click commands themselves (for cog in README.md and docs/cli.md).

    from assistant.cli_help import commands_table, help_text
    commands_table()      # the README's markdown table: command, purpose, one runnable example
    help_text("ask")      # exactly what `lmc ask --help` prints, at a fixed width

`cog -r README.md docs/cli.md` (`make docs`) rewrites the generated parts; `cog --check` (run by
tests/test_docs.py) fails when they no longer match `--help`. Nothing here is imported by `lmc`.
"""

from __future__ import annotations

import click

from assistant.cli import cli

ORDER = ["index", "search", "ask", "eval", "serve", "bench", "add", "docs", "remove"]
WIDTH = 80           # click's default maximum; it leaves 2 columns free, as a terminal does


def command_names() -> list[str]:
    """Every subcommand: the documented order first, then any command added later."""
    names = list(cli.commands)
    return [n for n in ORDER if n in names] + sorted(n for n in names if n not in ORDER)


def purpose(name: str) -> str:
    """The first line of the command's help: its one-line purpose."""
    return (cli.commands[name].help or "").strip().splitlines()[0].strip()


def examples(name: str) -> list[str]:
    """The runnable lines under 'Example:' or 'Examples:' in the command's help."""
    lines = (cli.commands[name].help or "").splitlines()
    found, out = False, []
    for line in lines:
        if line.strip() in ("Example:", "Examples:"):
            found = True
        elif found and line.strip() and line.strip() != "\b":
            out.append(line.strip())
        elif found and out and not line.strip():
            break
    return out


def help_text(name: str | None = None) -> str:
    """What `lmc [NAME] --help` prints, wrapped at WIDTH columns, as in any terminal that wide or wider."""
    root = click.Context(cli, info_name="lmc", terminal_width=WIDTH - 2, max_content_width=WIDTH, **cli.context_settings)
    if name is None:
        return cli.get_help(root)
    command = cli.commands[name]
    ctx = click.Context(command, info_name=name, parent=root, terminal_width=WIDTH - 2, max_content_width=WIDTH)
    return command.get_help(ctx)


def commands_table() -> str:
    """The markdown table of commands: purpose and the first example of each."""
    rows = ["| command | what it does | example |", "|---|---|---|"]
    for name in command_names():
        example = examples(name)[0].replace("|", "\\|")
        rows.append(f"| `lmc {name}` | {purpose(name).rstrip('.')} | `{example}` |")
    return "\n".join(rows) + "\n"


def help_sections() -> str:
    """docs/cli.md's body: each command's --help in a text block."""
    parts = [f"## lmc\n\n```text\n$ lmc --help\n{help_text()}\n```\n"]
    for name in command_names():
        parts.append(f"## lmc {name}\n\n```text\n$ lmc {name} --help\n{help_text(name)}\n```\n")
    return "\n".join(parts)
