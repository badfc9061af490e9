"""Every flag and command an error hint (or help text) names exists in the click tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from diplorag.cli import cli

SRC = Path(__file__).resolve().parent.parent / "src" / "diplorag"
_COMMAND = re.compile(r"\bdiplorag((?: [a-z][a-z-]*)+)")
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])\b")
# pip's own flags, in hints that tell the user how to install a package.
_NOT_OURS = {"--no-deps", "--force-reinstall", "--disable-pip-version-check", "--no-input", "-m"}


def _text(node: ast.expr) -> str:
    """The literal parts of a string or f-string, placeholders as spaces."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else " " for v in node.values)
    if isinstance(node, ast.BinOp):
        return _text(node.left) + _text(node.right)
    if isinstance(node, ast.IfExp):
        return _text(node.body) + " " + _text(node.orelse)
    return " "


def hints() -> list[tuple[str, str]]:
    """``(where, text)`` of every ``hint=`` given to an error in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "hint" and kw.value is not None:
                        found.append((f"{path.name}:{node.lineno}", _text(kw.value)))
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith("_HINT") for t in node.targets
            ):
                found.append((f"{path.name}:{node.lineno}", _text(node.value)))
    return found


def _commands(group: click.Group) -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        out[name] = command
        if isinstance(command, click.Group):
            out.update({f"{name} {k}": v for k, v in _commands(command).items()})
    return out


COMMANDS = _commands(cli)


def _flags(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


ALL_FLAGS = set().union(*(_flags(c) for c in COMMANDS.values()), _flags(cli))


def test_the_walk_finds_the_hints() -> None:
    texts = " ".join(t for _, t in hints())
    assert len(hints()) > 20
    assert "--rebuild" in texts and "--prune" in texts and "diplorag ingest" in texts


@pytest.mark.parametrize(("where", "hint"), hints())
def test_every_named_flag_and_command_exists(where: str, hint: str) -> None:
    for match in _COMMAND.finditer(hint):
        words = match.group(1).split()
        # The longest known command the words start with ("models install", "ingest").
        known = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
        name = next((k for k in known if k in COMMANDS), None)
        assert name is not None, f"{where}: no command 'diplorag {words[0]}' in {hint!r}"
        flags_after = _FLAG.findall(hint[match.end() :].split(";")[0].split(",")[0])
        for flag in flags_after:
            if flag not in _NOT_OURS:
                assert flag in _flags(COMMANDS[name]), f"{where}: {name} has no {flag}: {hint!r}"
    for flag in _FLAG.findall(hint):
        if flag not in _NOT_OURS:
            assert flag in ALL_FLAGS, f"{where}: no command has {flag}: {hint!r}"


def _messages() -> list[tuple[str, str]]:
    """Messages and hints of every error raised, and ````diplorag …```` in docstrings."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name.endswith("Error"):
                    parts = [*node.args, *(kw.value for kw in node.keywords)]
                    out.append((where, " ".join(_text(p) for p in parts)))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out += [(where, m) for m in re.findall(r"``(diplorag [^`]+)``", node.value)]
    return out


def test_every_command_an_error_or_docstring_names_exists() -> None:
    missing = []
    for where, text in _messages():
        for match in _COMMAND.finditer(text):
            words = match.group(1).split()
            if words[0] not in COMMANDS:
                missing.append(f"{where}: diplorag {' '.join(words)}")
            elif (
                len(words) > 1
                and isinstance(COMMANDS[words[0]], click.Group)
                and f"{words[0]} {words[1]}" not in COMMANDS
            ):
                missing.append(f"{where}: diplorag {words[0]} {words[1]}")
    assert missing == []
