"""YAML as portfolio files use it: dates stay strings, every value remembers its line.

PyYAML would turn `2011-02-01` into a date and `yes` into True; portfolio files are YAML 1.2-ish
data whose only scalars are strings, numbers, booleans and null, so the timestamp resolver is
removed both ways. Line numbers come from the composed node tree so an error can point at the
line of `iterations[2].arms[0].n`, not just at the file.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]


def _without_timestamps(base: type) -> type:
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in base.yaml_implicit_resolvers.items()  # type: ignore[attr-defined]
    }
    return type(f"Portfolio{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})


Loader: Any = _without_timestamps(yaml.SafeLoader)
Dumper: Any = _without_timestamps(yaml.SafeDumper)


def _literal_for_multiline(dumper: Any, value: str) -> Any:
    """Multi-line text as a `|` block, as a person would write it."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _literal_for_multiline)


def _line_map(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            _line_map(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def load(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse a document, returning the data and the line of every path in it.

    Raises yaml.YAMLError (with its own line and column) when the text is not valid YAML.
    """
    node = yaml.compose(text, Loader=Loader)
    if node is None:
        return None, {}
    lines: dict[Path, int] = {}
    _line_map(node, (), lines)
    return yaml.load(text, Loader=Loader), lines  # noqa: S506  (a SafeLoader subclass)


def dump(data: Any) -> str:
    """Serialise deterministically: keys in the order given, text readable, floats exact."""
    text: str = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text


def path_text(path: Path) -> str:
    """`("policies", 0, "pilots", 1, "n")` → `policies[0].pilots[1].n`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"
