"""YAML files to strict models, once, at the edge.

``load_job``, ``load_profile`` and ``load_project`` are the only places that read YAML.  Any
problem becomes a :class:`~lakehouse.errors.SpecError` naming the file, the
field path as written in the YAML (``target.merge.keys[0]``) and the line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lakehouse.errors import SpecError
from lakehouse.spec.profile import Profile
from lakehouse.spec.job import JobSpec
from lakehouse.spec.project import DEFAULT_PROFILE, PROJECT_FILE, Project, ProjectSpec, find_root

M = TypeVar("M", bound=BaseModel)

PROFILE_ENV = "LAKEHOUSE_PROFILE"
CONF_DIR_ENV = "LAKEHOUSE_CONF_DIR"

MAX_YAML_BYTES = 1024 * 1024
"""Largest spec or profile file read (1 MiB); a spec is a few hundred bytes."""
MAX_YAML_DEPTH = 50
"""Deepest nesting of YAML collections and values; a spec nests about five levels."""
MAX_YAML_ALIAS_NODES = 1000
"""Most nodes that all the aliases (``*name``) of a file may repeat together, counting every node
inside what each alias names."""


def load_job(path: str | os.PathLike) -> JobSpec:
    """Read and validate one job spec file."""
    return _load_model(Path(path), JobSpec)


def load_profile(name: str | None = None, conf_dir: str | os.PathLike | None = None, *,
                 project: Project | None = None) -> Profile:
    """Read profile ``name`` from ``conf_dir``.

    ``name`` defaults to ``$LAKEHOUSE_PROFILE``, else the project's ``defaults.profile`` (without a
    project: ``local``); it may also be a path to a YAML file.  ``conf_dir`` defaults to
    ``$LAKEHOUSE_CONF_DIR``, else the project's ``conf/`` (without a project: ``./conf``).
    Relative roots become absolute, relative to the folder that holds the profiles' folder.
    """
    default = project.spec.defaults.profile if project else DEFAULT_PROFILE
    name = name or os.environ.get(PROFILE_ENV) or default
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
    else:
        folder = Path(conf_dir or os.environ.get(CONF_DIR_ENV) or (project.conf_dir if project else "conf"))
        path = folder / f"{name}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in folder.glob("*.yaml"))
            raise SpecError(f"profile {name!r} not found in {folder} (profiles: {', '.join(known) or 'none'})",
                            file=str(path))
    profile = _load_model(path, Profile).model_copy(update={"name": path.stem}).with_project_dir(
        path.resolve().parent.parent)
    profile._file = str(path)
    return profile


def load_project(start: str | os.PathLike | None = None) -> Project:
    """The project of ``start`` (a job file, a table folder), else of the current folder, with its
    ``lakehouse.yaml`` read (see :func:`lakehouse.spec.project.find_root`)."""
    root = find_root(start)
    return Project(root=root, spec=_load_model(root / PROJECT_FILE, ProjectSpec))


def field_line(path: str | os.PathLike, loc: tuple) -> int | None:
    """The line of field ``loc`` (keys and list indexes as written, e.g. ``("transform", "filter", 0)``)
    in the YAML file ``path``, which has been read before (see :func:`_line_of`)."""
    _, root = _parse_yaml(read_text(Path(path)), str(path))
    return _line_of(root, list(loc))


def read_text(path: Path) -> str:
    """The file's text; a SpecError if it is missing, unreadable, not UTF-8 or over MAX_YAML_BYTES."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_YAML_BYTES + 1)  # never more: the path may name a huge file or a device
    except FileNotFoundError:
        raise SpecError("file not found", file=str(path)) from None
    except OSError as exc:
        raise SpecError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    if len(raw) > MAX_YAML_BYTES:
        raise SpecError(f"file is larger than the limit of {MAX_YAML_BYTES / 2**20:g} MiB", file=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not UTF-8 text", file=str(path)) from None


def format_loc(loc: list | tuple) -> str:
    """A field path as the errors name it: ``target.merge.keys[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ------------------------------------------------------------------------- helpers

def _load_model(path: Path, model: type[M]) -> M:
    data, root = _parse_yaml(read_text(path), str(path))
    if not isinstance(data, dict):
        raise SpecError("expected a mapping of keys at the top level", file=str(path), line=1)
    _reject_duplicate_keys(root, str(path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(exc, data, root, str(path)) from None


def _parse_yaml(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """The document of ``text`` and its node tree, parsed once, within the limits of :class:`_LimitedLoader`."""
    loader = _LimitedLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except _LimitExceeded as exc:
        raise SpecError(exc.problem, file=file, line=exc.problem_mark.line + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()


class _LimitExceeded(yaml.MarkedYAMLError):
    """The YAML is over one of the loader's limits; ``problem`` says which, ``problem_mark`` where."""


class _LimitedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses, while composing, nesting deeper than MAX_YAML_DEPTH and aliases
    that repeat more than MAX_YAML_ALIAS_NODES nodes in all (an alias repeats every node of what it
    names, so a "billion laughs" bomb is refused after a few hundred events, before anything expands)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._repeated = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes in it, aliases expanded; set once it is composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            named = self.anchors.get(event.anchor)  # an undefined alias is PyYAML's own error
            if named is not None:  # a node still being composed (a recursive alias) repeats without end
                self._repeated += self._sizes.get(id(named), MAX_YAML_ALIAS_NODES + 1)
                if self._repeated > MAX_YAML_ALIAS_NODES:
                    raise _LimitExceeded(problem=f"YAML aliases exceed the limit of {MAX_YAML_ALIAS_NODES} "
                                                 "repeated nodes", problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        if self._depth >= MAX_YAML_DEPTH:
            raise _LimitExceeded(problem=f"YAML nesting deeper than {MAX_YAML_DEPTH} levels",
                                 problem_mark=event.start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes directly inside ``node``: items of a sequence, keys and values of a mapping."""
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _reject_duplicate_keys(node: yaml.Node, file: str, where: str = "") -> None:
    """YAML lets a later key silently replace an earlier one; in a spec that hides a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            field = f"{where}.{key.value}" if where else str(key.value)
            if key.value in seen:
                raise SpecError("duplicate key", file=file, field=field, line=key.start_mark.line + 1)
            seen.add(key.value)
            _reject_duplicate_keys(value, file, field)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _reject_duplicate_keys(item, file, f"{where}[{i}]")


def _spec_error(exc: ValidationError, data: Any, root: yaml.Node | None, file: str) -> SpecError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = first["loc"]
    if first["type"].startswith("union_tag_"):  # point at the discriminator key itself
        loc = (*loc, first["ctx"]["discriminator"].strip("'"))
    loc = _yaml_loc(loc, data)
    message = _message(first)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return SpecError(message, file=file, field=format_loc(loc) or None, line=_line_of(root, loc))


UNION_MEMBERS = ("str", "bool", "int", "float")
DISCRIMINATORS = ("format", "mode")
"""Fields that choose a model of a discriminated union (`source.format`, `target.mode`)."""


def _yaml_loc(loc: tuple, data: Any) -> list:
    """The pydantic location as written in the YAML: without the union tags pydantic inserts."""
    out, node, tag_skipped = [], data, False
    for part in loc:
        if part == "[key]" or (part in UNION_MEMBERS and not (isinstance(node, dict) and part in node)):
            continue  # pydantic's markers (a mapping key; the member of a plain union), not YAML keys
        if (isinstance(node, dict) and not tag_skipped
                and any(key in node and node[key] == part for key in DISCRIMINATORS)):
            tag_skipped = True  # e.g. ('target', 'merge', ...) where 'merge' is target.mode
            continue
        tag_skipped = False
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        out.append(part)
    return out


def _line_of(node: yaml.Node | None, loc: list) -> int | None:
    """Line of the deepest key (or list item) of ``loc`` that is in the YAML."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("missing", "union_tag_not_found"):
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx['expected_tags']}, got {ctx['tag']!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"][0].lower() + error["msg"][1:]
