"""Read portfolio files and find every problem in them before anything touches the database.

Three passes, each reporting all it finds: YAML syntax, the JSON Schema (shape, types,
vocabularies), then the rules a schema cannot express (references between keys, one control
arm, allocations summing to one, stage history that follows the stages, plan versions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tracker.io import yamlfile
from tracker.io.problems import PortfolioError, Problem
from tracker.models.enums import STAGE_ORDER, MetricKind, PolicyStage

FORMAT = "tracker-portfolio/1"
SUFFIXES = (".yaml", ".yml")
ALLOCATION_TOLERANCE = 0.001
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    MetricKind.BINARY.value: ("successes",),
    MetricKind.CONTINUOUS.value: ("mean", "sd"),
    MetricKind.COUNT.value: ("total", "exposure"),
}
STAT_FIELDS = ("successes", "mean", "sd", "total", "exposure")


def schema() -> dict[str, Any]:
    """The JSON Schema of format 1, shipped inside the package."""
    text = resources.files("tracker.io").joinpath("portfolio.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass
class SourceFile:
    """One parsed file (named by its path): its data and the problems found so far."""

    name: str
    data: Any
    problems: list[Problem] = field(default_factory=list)

    @cached_property
    def lines(self) -> dict[yamlfile.Path, int]:
        """The line of every path, read again from the file only when a problem needs one."""
        return yamlfile.line_map(Path(self.name).read_text(encoding="utf-8"))

    def problem(self, path: yamlfile.Path, message: str) -> None:
        line = next(
            (self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None
        )
        self.problems.append(Problem(self.name, yamlfile.path_text(path), message, line))

    def policies(self) -> Iterator[tuple[yamlfile.Path, dict[str, Any]]]:
        for index, policy in enumerate(self.data.get("policies", [])):
            yield ("policies", index), policy


def portfolio_files(path: Path) -> list[Path]:
    """A file, or every YAML file directly inside a directory, in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return [path]


def _describe(error: ValidationError) -> str:
    """jsonschema's error in words a person filling in the file understands."""
    value: Any = error.instance
    expected: Any = error.validator_value
    schema_of: Any = error.schema
    properties: dict[str, Any] = schema_of.get("properties", {})
    if error.validator == "required":
        missing = [name for name in expected if name not in (value or {})]
        return f"missing required key{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(properties))
        extra = sorted(set(value) - set(properties))
        plural = "s" if len(extra) > 1 else ""
        return f"unknown key{plural} {', '.join(extra)}; expected one of: {allowed}"
    if error.validator == "enum":
        return f"got {value!r}; expected one of: {', '.join(map(str, expected))}"
    if error.validator == "const":
        return f"got {value!r}; expected {expected!r}"
    if error.validator == "type":
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        return f"got {value!r}; expected {expected_text}"
    if error.validator == "pattern":
        if expected.startswith("^[0-9]{4}"):
            return f"got {value!r}; expected a date like 2024-03-31"
        return f"got {value!r}; expected lowercase letters, digits and single hyphens (a slug)"
    if error.validator == "oneOf" and error.context:
        return _describe(min(error.context, key=lambda e: len(list(e.absolute_path))))
    return error.message


@cache
def _validators() -> tuple[jsonschema_rs.Validator, Draft202012Validator]:
    """A compiled (Rust) validator that answers yes or no, and the one that explains a no."""
    return jsonschema_rs.validator_for(schema()), Draft202012Validator(schema())


def _schema_problems(source: SourceFile) -> None:
    # The Python validator takes seconds a megabyte; the compiled one milliseconds. A valid file
    # (the usual case) needs only the yes; an invalid one gets the Python validator's errors,
    # which _describe turns into words.
    quick, explaining = _validators()
    if quick.is_valid(source.data):
        return
    for error in sorted(
        explaining.iter_errors(source.data), key=lambda e: list(map(str, e.absolute_path))
    ):
        source.problem(tuple(error.absolute_path), _describe(error))


def read_files(path: Path) -> list[SourceFile]:
    """Parse and check every portfolio file under `path`; PortfolioError lists every problem."""
    paths = portfolio_files(path)
    if not paths:
        raise PortfolioError(
            [Problem(str(path), "(document)", "no .yaml or .yml portfolio files found")]
        )
    sources: list[SourceFile] = []
    for file_path in paths:
        name = str(file_path)
        try:
            data = yamlfile.load_data(file_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PortfolioError([Problem(name, "(document)", "file not found")]) from None
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            reason = getattr(error, "problem", None) or str(error)
            raise PortfolioError(
                [Problem(name, "(document)", f"not valid YAML: {reason}", line)]
            ) from None
        source = SourceFile(name, data)
        _schema_problems(source)
        if not source.problems:
            check_rules(source)
        sources.append(source)
    _check_unique_across_files(sources)
    problems = [problem for source in sources for problem in source.problems]
    if problems:
        raise PortfolioError(problems)
    return sources


def _check_unique_across_files(sources: list[SourceFile]) -> None:
    seen_policies: dict[str, str] = {}
    seen_pilots: dict[str, str] = {}
    for source in sources:
        if source.problems:
            continue
        for path, policy in source.policies():
            _first_use(source, (*path, "slug"), policy["slug"], seen_policies, "policy slug")
            for index, pilot in enumerate(policy.get("pilots", [])):
                pilot_path = (*path, "pilots", index, "slug")
                _first_use(source, pilot_path, pilot["slug"], seen_pilots, "pilot slug")


def _first_use(
    source: SourceFile, path: yamlfile.Path, value: str, seen: dict[str, str], what: str
) -> None:
    where = f"{source.name}:{yamlfile.path_text(path)}"
    if value in seen:
        source.problem(path, f"{what} {value!r} is already used at {seen[value]}")
    else:
        seen[value] = where


def _unique(
    source: SourceFile, items: list[dict[str, Any]], path: yamlfile.Path, key: str
) -> set[Any]:
    """Report repeated values of `key` among `items`; return the set of values."""
    seen: set[Any] = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            source.problem((*path, index, key), f"{item[key]!r} appears more than once")
        seen.add(item[key])
    return seen


def _check_date(source: SourceFile, path: yamlfile.Path, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        source.problem(path, f"got {value!r}; expected a real calendar date like 2024-03-31")
        return None


def _check_dates_in_order(
    source: SourceFile, item: dict[str, Any], path: yamlfile.Path, start: str, end: str
) -> None:
    first = _check_date(source, (*path, start), item.get(start))
    last = _check_date(source, (*path, end), item.get(end))
    if first and last and last < first:
        source.problem((*path, end), f"must be on or after {start} ({first.isoformat()})")


def check_rules(source: SourceFile) -> None:
    """Rules between values that the JSON Schema cannot express."""
    for path, policy in source.policies():
        metric_kinds = {m["key"]: m["kind"] for m in policy.get("metrics", [])}
        _unique(source, policy.get("metrics", []), (*path, "metrics"), "key")
        _unique(source, policy.get("user_needs", []), (*path, "user_needs"), "key")
        hypotheses = _unique(source, policy.get("hypotheses", []), (*path, "hypotheses"), "key")
        _unique(source, policy.get("engagements", []), (*path, "engagements"), "key")
        _check_stage_history(source, policy, path)
        for index, need in enumerate(policy.get("user_needs", [])):
            _known(
                source,
                need.get("metrics", []),
                metric_kinds,
                (*path, "user_needs", index, "metrics"),
                "metric",
            )
        for index, hypothesis in enumerate(policy.get("hypotheses", [])):
            measured_by = hypothesis.get("measured_by")
            if measured_by is not None:
                _known_one(
                    source,
                    measured_by,
                    metric_kinds,
                    (*path, "hypotheses", index, "measured_by"),
                    "metric",
                )
        iterations_of: dict[str, set[int]] = {}
        for index, pilot in enumerate(policy.get("pilots", [])):
            pilot_path = (*path, "pilots", index)
            _known(
                source,
                pilot.get("hypotheses", []),
                hypotheses,
                (*pilot_path, "hypotheses"),
                "hypothesis",
            )
            _check_dates_in_order(source, pilot, pilot_path, "planned_start", "planned_end")
            _check_plans(
                source,
                pilot.get("analysis_plans", []),
                (*pilot_path, "analysis_plans"),
                metric_kinds,
            )
            iterations_of[pilot["slug"]] = _unique(
                source, pilot.get("iterations", []), (*pilot_path, "iterations"), "number"
            )
            for number, iteration in enumerate(pilot.get("iterations", [])):
                _check_iteration(
                    source, iteration, (*pilot_path, "iterations", number), metric_kinds
                )
        for index, entry in enumerate(policy.get("engagements", [])):
            _check_engagement(source, entry, (*path, "engagements", index), iterations_of)


def _known_one(source: SourceFile, key: str, known: Any, path: yamlfile.Path, what: str) -> None:
    """Report a reference to a key the policy does not define, listing the ones it does."""
    if key not in known:
        choices = ", ".join(sorted(known)) or "none defined"
        source.problem(path, f"unknown {what} {key!r}; this policy's {what} keys: {choices}")


def _known(source: SourceFile, keys: list[str], known: Any, path: yamlfile.Path, what: str) -> None:
    for index, key in enumerate(keys):
        _known_one(source, key, known, (*path, index), what)


def _check_stage_history(source: SourceFile, policy: dict[str, Any], path: yamlfile.Path) -> None:
    history = policy["stage_history"]
    previous_stage: str | None = None
    previous_date: date | None = None
    for index, entry in enumerate(history):
        entry_path = (*path, "stage_history", index)
        if entry["from"] != previous_stage:
            expected = "null (the first entry)" if previous_stage is None else repr(previous_stage)
            source.problem((*entry_path, "from"), f"got {entry['from']!r}; expected {expected}")
        if entry["from"] == entry["to"]:
            source.problem((*entry_path, "to"), "must differ from `from`")
        if _skips(entry["from"], entry["to"]) and not (entry.get("skip_reason") or "").strip():
            source.problem(
                entry_path,
                f"moving from {entry['from'] or 'nothing'} to {entry['to']} skips stages; "
                "skip_reason is required",
            )
        decided_on = _check_date(source, (*entry_path, "decided_on"), entry["decided_on"])
        if decided_on and previous_date and decided_on < previous_date:
            source.problem(
                (*entry_path, "decided_on"),
                f"must not be before the previous entry ({previous_date})",
            )
        previous_stage, previous_date = entry["to"], decided_on or previous_date
    if history and policy["stage"] != history[-1]["to"]:
        source.problem(
            (*path, "stage"),
            f"got {policy['stage']!r}; expected {history[-1]['to']!r}, "
            "the last stage_history entry's `to`",
        )


def _skips(from_stage: str | None, to_stage: str) -> bool:
    if from_stage is None:
        return to_stage != PolicyStage.IDEA.value
    return (
        STAGE_ORDER.index(PolicyStage(to_stage)) != STAGE_ORDER.index(PolicyStage(from_stage)) + 1
    )


def _check_plans(
    source: SourceFile,
    plans: list[dict[str, Any]],
    path: yamlfile.Path,
    metric_kinds: dict[str, str],
) -> None:
    for index, plan in enumerate(plans):
        plan_path = (*path, index)
        if plan["version"] != index + 1:
            source.problem(
                (*plan_path, "version"),
                f"got {plan['version']}; expected {index + 1} (versions run 1, 2, … in order)",
            )
        if index > 0 and not (plan.get("amendment_reason") or "").strip():
            source.problem(plan_path, "amendment_reason is required from version 2 on")
        if index + 1 < len(plans) and not plan.get("lock_hash"):
            source.problem(
                plan_path,
                "only the latest plan version may be unlocked; "
                "lock this one (locked_at and lock_hash)",
            )
        if bool(plan.get("locked_at")) != bool(plan.get("lock_hash")):
            source.problem(plan_path, "locked_at and lock_hash go together: give both or neither")
        if plan.get("locked_at"):
            try:
                datetime.fromisoformat(plan["locked_at"])
            except ValueError:
                source.problem(
                    (*plan_path, "locked_at"),
                    "expected a date and time like 2024-03-31T09:30:00+00:00",
                )
        keys = [m["metric"] for m in plan["metrics"]]
        for index, key in enumerate(keys):
            _known_one(
                source, key, metric_kinds, (*plan_path, "metrics", index, "metric"), "metric"
            )
        _unique(source, plan["metrics"], (*plan_path, "metrics"), "metric")
        if plan.get("lock_hash") and not any(m["role"] == "primary" for m in plan["metrics"]):
            source.problem((*plan_path, "metrics"), "a locked plan must name a primary metric")


def _check_iteration(
    source: SourceFile, iteration: dict[str, Any], path: yamlfile.Path, metric_kinds: dict[str, str]
) -> None:
    _check_dates_in_order(source, iteration, path, "start_date", "end_date")
    for index, dataset in enumerate(iteration.get("datasets", [])):
        _check_dataset(source, dataset, (*path, "datasets", index), metric_kinds)
    decision = iteration.get("decision")
    if decision:
        _check_date(source, (*path, "decision", "decided_on"), decision["decided_on"])
    arms = iteration["arms"]
    _unique(source, arms, (*path, "arms"), "name")
    controls = sum(1 for arm in arms if arm["control"])
    if arms and controls != 1:
        source.problem((*path, "arms"), f"{controls} arms have control: true; expected exactly one")
    total = sum(arm["allocation"] for arm in arms)
    if arms and abs(total - 1) > ALLOCATION_TOLERANCE:
        source.problem(
            (*path, "arms"),
            f"allocations add up to {total:.4f}; expected 1 (±{ALLOCATION_TOLERANCE})",
        )
    for arm_index, arm in enumerate(arms):
        results = arm.get("results", [])
        _unique(source, results, (*path, "arms", arm_index, "results"), "metric")
        for result_index, result in enumerate(results):
            _check_result(
                source, result, (*path, "arms", arm_index, "results", result_index), metric_kinds
            )


def dataset_path(source: SourceFile, dataset: dict[str, Any]) -> Path:
    """A dataset's CSV, relative to the portfolio file that names it."""
    return Path(source.name).parent / str(dataset["file"])


def _check_dataset(
    source: SourceFile, dataset: dict[str, Any], path: yamlfile.Path, metric_kinds: dict[str, str]
) -> None:
    """The CSV must exist beside the file and have exactly the bytes its SHA-256 names."""
    mapping = dataset["column_mapping"]
    for key in [*mapping["outcomes"], *mapping.get("pre_period", {})]:
        _known_one(source, key, metric_kinds, (*path, "column_mapping"), "metric")
    csv_path = dataset_path(source, dataset)
    folder = Path(source.name).parent.resolve()
    if not csv_path.resolve().is_relative_to(folder):
        # A portfolio names files beside it; anything else (an absolute path, "../…") could
        # read any file the server can, and the messages below would confirm it exists.
        source.problem((*path, "file"), "must name a file in the portfolio file's own folder")
        return
    if not csv_path.is_file():
        source.problem((*path, "file"), f"no file at {csv_path}")
        return
    digest = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    if digest != dataset["sha256"]:
        source.problem((*path, "sha256"), f"does not match {csv_path} (its SHA-256 is {digest})")


def _check_result(
    source: SourceFile, result: dict[str, Any], path: yamlfile.Path, metric_kinds: dict[str, str]
) -> None:
    kind = metric_kinds.get(result["metric"])
    if kind is None:
        _known_one(source, result["metric"], metric_kinds, (*path, "metric"), "metric")
        return
    needed = KIND_FIELDS[kind]
    for name in needed:
        if name not in result:
            source.problem(
                path, f"missing {name}: a {kind} metric needs n and {' and '.join(needed)}"
            )
    for name in STAT_FIELDS:
        if name in result and name not in needed:
            source.problem(
                (*path, name),
                f"does not apply to the {kind} metric {result['metric']!r}; "
                f"a {kind} metric takes n and {' and '.join(needed)}",
            )
    if kind == MetricKind.BINARY.value and result.get("successes", 0) > result["n"]:
        source.problem(
            (*path, "successes"), f"got {result['successes']}; expected at most n ({result['n']})"
        )


def _check_engagement(
    source: SourceFile,
    entry: dict[str, Any],
    path: yamlfile.Path,
    iterations_of: dict[str, set[int]],
) -> None:
    _check_date(source, (*path, "held_on"), entry["held_on"])
    pilot, number = entry.get("pilot"), entry.get("iteration")
    if (pilot is None) != (number is None):
        source.problem(path, "give both pilot and iteration, or neither")
    elif pilot is not None and pilot not in iterations_of:
        source.problem(
            (*path, "pilot"),
            f"unknown pilot {pilot!r}; "
            f"this policy's pilots: {', '.join(sorted(iterations_of)) or 'none'}",
        )
    elif pilot is not None and number not in iterations_of[pilot]:
        source.problem((*path, "iteration"), f"pilot {pilot!r} has no iteration {number}")
