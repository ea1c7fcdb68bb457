"""The README's quick start is what CI runs (.ci/run holds its commands verbatim)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def markdown_section(text: str, title: str) -> str:
    """Text of the section whose heading is ``title`` (case-insensitive).

    The section runs to the next heading of the same or a higher level; lines
    inside fenced code blocks are never taken for headings.
    """
    lines = text.splitlines()
    fence = None
    start = level = None
    for i, line in enumerate(lines):
        match = FENCE.match(line)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is not None:
            continue
        heading = HEADING.match(line)
        if not heading:
            continue
        this_level = len(heading.group(1))
        if start is None:
            if heading.group(2).strip().lower() == title.lower():
                start, level = i + 1, this_level
        elif this_level <= level:
            return "\n".join(lines[start:i])
    if start is None:
        raise LookupError(f"no section titled {title!r}")
    return "\n".join(lines[start:])


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """``(language, lines)`` of each fenced code block in ``text``."""
    blocks = []
    fence = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, language, body = match.group(1), match.group(2).lower(), []
            continue
        if (
            match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not match.group(2)
        ):
            blocks.append((language, body))
            fence = None
        else:
            body.append(line)
    return blocks


def quick_start_commands(readme: str) -> list[str]:
    """The commands of the quick start's shell block (blank and # lines dropped)."""
    section = markdown_section(readme, "Quick start")
    shell = [b for lang, b in fenced_blocks(section) if lang in ("bash", "sh", "shell")]
    if len(shell) != 1:
        raise LookupError(f"expected one bash block in Quick start, found {len(shell)}")
    return [
        line.strip()
        for line in shell[0]
        if line.strip() and not line.strip().startswith("#")
    ]


def test_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = quick_start_commands(readme)
    assert len(commands) == 2, commands


def test_ci_runs_each_quick_start_command_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ]
    for command in quick_start_commands(readme):
        assert command in ci_lines, f"{command!r} is not a line of .ci/run"


# The parser itself, on made-up READMEs, so that the checks above cannot pass by
# reading nothing.
SAMPLE = """# project

## Install
```bash
pip install other
```

## Quick start

Run:

```bash
# a comment
pip install . && tool demo

python -m pytest
```

```python
# ## Not a heading
print("not a shell command")
```

### Details
Still inside the quick start.

## Next section
```bash
make everything
```
"""


def test_parser_reads_only_the_quick_start_shell_block():
    assert quick_start_commands(SAMPLE) == [
        "pip install . && tool demo",
        "python -m pytest",
    ]
    section = markdown_section(SAMPLE, "quick start")
    assert "Still inside the quick start." in section
    assert "make everything" not in section


def test_parser_rejects_missing_section_or_block():
    with pytest.raises(LookupError):
        quick_start_commands("# project\n\n## Usage\n```bash\nrun\n```\n")
    with pytest.raises(LookupError):
        quick_start_commands("## Quick start\n\nNo code here.\n")


def python_snippets(readme: str) -> list[str]:
    """The README's Python code blocks, in order."""
    return ["\n".join(b) for lang, b in fenced_blocks(readme) if lang == "python"]


README_SNIPPETS = python_snippets((ROOT / "README.md").read_text())


@pytest.mark.slow
@pytest.mark.parametrize(
    "snippet", README_SNIPPETS, ids=[f"snippet{i}" for i in range(len(README_SNIPPETS))]
)
def test_readme_snippet_runs_as_written(snippet, tmp_path):
    """Each Python block of the README runs on its own, as a new user would
    paste it (in a fresh interpreter, in an empty folder)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-c", snippet],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_readme_is_a_guide_not_a_log():
    """The README stays short, with its three snippets."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert len(python_snippets(readme)) == 3
