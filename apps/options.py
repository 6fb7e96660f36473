"""Command-line options made from settings dataclasses, as nerfstudio builds its command line from its configs.

Every field of a settings class (usr.settings.setting: default, help, bounds) is one option named after it, on a
typer command (`settings_command`) and on a benchmark's argparse (`add_settings_arguments`); a nested settings
dataclass (ReconSpec.separation, BatchSpec.recon) gives its fields too. So a new field is a new option on every
command built from the class, with nothing else to edit:

    def reconstruct(subject: Path = typer.Argument(...), spec: ReconSpec = None) -> None: ...

    app.command("reconstruct")(settings_command(reconstruct, "spec", ReconSpec))   # --views, --resolution, …

Value types: bool (--x/--no-x, or a plain flag), int, float, str, Path, each optionally `| None`, and tuple/list of
str (given as "a,b,c").
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import typer

SCALARS = (bool, int, float, str, Path)


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One option: a field of a (possibly nested) settings class."""

    path: tuple[str, ...]  # field names from the outer class down to this field
    field: dataclasses.Field
    kind: type  # bool, int, float, str, Path, or tuple / list (of str)
    optional: bool  # `| None`

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def flag(self) -> str:
        return self.field.metadata.get("flag") or "--" + self.name.replace("_", "-")

    @property
    def help(self) -> str | None:
        return self.field.metadata.get("help") or None

    def default(self, defaults: Mapping[str, Any]) -> Any:
        if self.name in defaults:
            return defaults[self.name]
        if self.field.default is not dataclasses.MISSING:
            return self.field.default
        if self.field.default_factory is not dataclasses.MISSING:
            return self.field.default_factory()
        return ...  # required

    def parse(self, value: Any) -> Any:
        """The field's value from what the command line gave (a comma list for tuple/list fields)."""
        if self.kind in (tuple, list) and isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
            return self.kind(items) if items else None
        return value

    def text(self, value: Any) -> Any:
        """A default as the command line writes it."""
        return ",".join(value) if self.kind in (tuple, list) and value is not None else value


def leaves(cls: type, exclude: Sequence[str] = (), nested: Mapping[str, type] | None = None,
           prefix: tuple[str, ...] = ()) -> Iterator[Leaf]:
    """The options of `cls`: its fields but those marked `cli=False` or named in `exclude` (nested dataclass fields
    give theirs; `nested` swaps the class of such a field, e.g. {"recon": AnotherSpec})."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.metadata.get("cli", True) or f.name in exclude:
            continue
        path = prefix + (f.name,)
        inner = (nested or {}).get(".".join(path), hints[f.name])
        if dataclasses.is_dataclass(inner):
            yield from leaves(inner, exclude, nested, path)
            continue
        kind, optional = _kind(inner)
        if kind is None:
            raise TypeError(f"{cls.__name__}.{f.name}: {inner} cannot be a command-line option "
                            "(mark the field cli=False, or give it a simpler type)")
        yield Leaf(path, f, kind, optional)


def build(cls: type, values: Mapping[tuple[str, ...], Any], nested: Mapping[str, type] | None = None,
          prefix: tuple[str, ...] = ()) -> Any:
    """An instance of `cls` from option values by field path (fields without a value keep their defaults)."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        path = prefix + (f.name,)
        inner = (nested or {}).get(".".join(path), hints[f.name])
        if path in values:
            kwargs[f.name] = values[path]
        elif dataclasses.is_dataclass(inner) and any(p[:len(path)] == path for p in values):
            kwargs[f.name] = build(inner, values, nested, path)
        elif ".".join(path) in (nested or {}):
            kwargs[f.name] = inner()
    return cls(**kwargs)


def settings_command(func: Callable, param: str, cls: type, *, defaults: Mapping[str, Any] | None = None,
                     exclude: Sequence[str] = (), nested: Mapping[str, type] | None = None) -> Callable:
    """`func` as a typer command whose parameter `param` is an instance of `cls` made from one option per field.

    The options take `param`'s place among `func`'s own parameters (kept as they are); `defaults` gives this
    command's own default of a field by name (e.g. where a simulation differs from a deployment); `exclude` leaves
    fields the command sets itself out; `nested` as in `leaves`."""
    defaults = defaults or {}
    options = list(leaves(cls, exclude, nested))
    hints = typing.get_type_hints(func)
    signature = inspect.signature(func)
    if param not in signature.parameters:
        raise TypeError(f"{func.__name__} has no parameter {param!r}")
    parameters, annotations = [], {}
    for p in signature.parameters.values():
        if p.name != param:
            parameters.append(p.replace(annotation=hints.get(p.name, p.annotation)))
            continue
        for leaf in options:
            annotation, option = _typer_option(leaf, defaults)
            parameters.append(inspect.Parameter(leaf.name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                                annotation=annotation))
    names = [p.name for p in parameters]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise TypeError(f"{func.__name__}: {cls.__name__} fields clash with its parameters: {', '.join(clash)}")
    for p in parameters:
        annotations[p.name] = p.annotation
    # keyword-only after the command's own parameters would reorder positional ones: all keyword-only is fine for
    # typer (it calls with keywords)
    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters]

    @functools.wraps(func)
    def command(**kwargs):
        values = {leaf.path: leaf.parse(kwargs.pop(leaf.name)) for leaf in options}
        try:  # a settings object that checks itself (e.g. SeparationSpec's choices) fails here, as a usage error
            settings = build(cls, values, nested)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        return func(**kwargs, **{param: settings})

    command.__signature__ = inspect.Signature(parameters, return_annotation=signature.return_annotation)
    command.__annotations__ = annotations
    return command


def option_names(cls: type, exclude: Sequence[str] = (), nested: Mapping[str, type] | None = None) -> set[str]:
    """The option names `settings_command` gives `cls` (e.g. {"--views", "--layers", "--no-layers", …})."""
    out = set()
    for leaf in leaves(cls, exclude, nested):
        out.add(leaf.flag)
        if leaf.kind is bool and leaf.field.metadata.get("negatable", True):
            out.add("--no-" + leaf.flag[2:])
    return out


def _typer_option(leaf: Leaf, defaults: Mapping[str, Any]) -> tuple[Any, Any]:
    """The annotation and typer.Option of one field."""
    md = leaf.field.metadata
    bounds = {k: md[k] for k in ("min", "max") if md.get(k) is not None}
    default = leaf.text(leaf.default(defaults))
    if leaf.kind is bool:
        decl = f"{leaf.flag}/--no-{leaf.flag[2:]}" if md.get("negatable", True) else leaf.flag
        return bool, typer.Option(default, decl, help=leaf.help)
    kind = str if leaf.kind in (tuple, list) else leaf.kind
    return (Optional[kind] if leaf.optional else kind), typer.Option(default, leaf.flag, help=leaf.help, **bounds)


def _kind(annotation: Any) -> tuple[type | None, bool]:
    """(value kind, optional) of a field's type; kind None when no option can hold it."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            return None, optional
        annotation = args[0]
    if annotation in SCALARS:
        return annotation, optional
    origin = typing.get_origin(annotation)
    if origin in (tuple, list) and all(a in (str, Ellipsis) for a in typing.get_args(annotation)):
        return origin, optional
    return None, optional


# argparse (the benchmarks) --------------------------------------------------------------------------------------------
def add_settings_arguments(parser: argparse.ArgumentParser, cls: type, only: Sequence[str],
                           defaults: Mapping[str, Any] | None = None) -> None:
    """Options for the fields of `cls` named in `only` (any field, shown on commands or not), with their help and
    default (or this benchmark's own from `defaults`)."""
    defaults = defaults or {}
    chosen = {leaf.name: leaf for leaf in _all_leaves(cls) if leaf.name in only}
    missing = sorted(set(only) - set(chosen))
    if missing:
        raise TypeError(f"{cls.__name__} has no field {', '.join(missing)}")
    for name in only:
        leaf = chosen[name]
        default = leaf.default(defaults)
        kwargs: dict[str, Any] = {"dest": leaf.name, "help": leaf.help}
        kwargs |= {"required": True} if default is ... else {"default": leaf.text(default)}
        if leaf.kind is bool:
            parser.add_argument(leaf.flag, action=argparse.BooleanOptionalAction, **kwargs)
        else:
            parser.add_argument(leaf.flag, type=str if leaf.kind in (tuple, list) else leaf.kind, **kwargs)


def settings_from_args(cls: type, args: argparse.Namespace, only: Sequence[str], **overrides: Any) -> Any:
    """An instance of `cls` from the fields in `only` that `add_settings_arguments` added (the rest at their
    defaults), then `overrides` (top-level fields) replaced."""
    values = {leaf.path: leaf.parse(getattr(args, leaf.name)) for leaf in _all_leaves(cls) if leaf.name in only}
    return dataclasses.replace(build(cls, values), **overrides)


def _all_leaves(cls: type) -> list[Leaf]:
    """Every field as an option, shown on commands or not."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out += [dataclasses.replace(leaf, path=(f.name, *leaf.path)) for leaf in _all_leaves(hints[f.name])]
            continue
        kind, optional = _kind(hints[f.name])
        if kind is not None:
            out.append(Leaf((f.name,), f, kind, optional))
    return out
