"""YAML as portfolio files use it: dates stay strings, every value remembers its line.

PyYAML would turn `2011-02-01` into a date and `yes` into True; portfolio files are YAML 1.2-ish
data whose only scalars are strings, numbers, booleans and null, so the timestamp resolver is
removed both ways. Line numbers come from the composed node tree so an error can point at the
line of `iterations[2].arms[0].n`, not just at the file; composing costs as much as loading, so
readers that only need lines to report a problem compute them then (`line_map`).

Speed: libyaml's parser is used when PyYAML has it. A document that is JSON (JSON is YAML 1.2,
and a portfolio file's scalars are all JSON scalars) is read by the json module, about a hundred
times faster than any YAML loader: what makes a portfolio of a million results loadable.
"""

from __future__ import annotations

import json
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
# The same rules on libyaml's parser: the constructor and resolvers are still PyYAML's.
FastLoader: Any = _without_timestamps(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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


def line_map(text: str) -> dict[Path, int]:
    """The line of every path in a document (empty for an empty one)."""
    node = yaml.compose(text, Loader=Loader)
    lines: dict[Path, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return lines


def _not_json(name: str) -> Any:
    """NaN and Infinity are Python's extension to JSON; YAML reads them as text, so let it."""
    raise ValueError(f"{name} is not JSON")


def load_data(text: str) -> Any:
    """Parse a document into data, by the json module when it is JSON, else by YAML.

    Raises yaml.YAMLError (with its own line and column) when the text is not valid YAML.
    """
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, parse_constant=_not_json)
        except ValueError:
            pass  # YAML flow style, or broken: YAML parses it or says where it is wrong
    return yaml.load(text, Loader=FastLoader)  # noqa: S506  (a SafeLoader subclass)


def load(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse a document, returning the data and the line of every path in it.

    Raises yaml.YAMLError (with its own line and column) when the text is not valid YAML.
    """
    data = load_data(text)
    return data, (line_map(text) if data is not None else {})


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
