"""The house's layering, read from the source with ast (nothing is imported):

- imports go downward only: apps → fed → data_tools → smpl_d → usr (a package may import itself and those below);
- no import cycle among modules at module level (what runs when a module is imported);
- inside the library (usr, smpl_d, data_tools, fed) imports sit at module level, except an optional or heavy one on a
  path that must work without it: an optional package (OPTIONAL_PACKAGES), a module of ours that imports one, or an
  entry of ALLOWED_LOCAL with its reason; each carries a comment where it stands. apps/ may import inside functions
  (CLI start-up time).
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("usr", "smpl_d", "data_tools", "fed", "apps")  # lowest first: a layer imports only itself and those before it
LIBRARY = ("usr", "smpl_d", "data_tools", "fed")

# third-party packages a library module may import inside a function: optional extras or CUDA-only back-ends
OPTIONAL_PACKAGES = {
    "segment_anything": "extra [sam], second environment only (brings torchvision)",
    "tinycudann": "CUDA only, not on PyPI",
    "gradio": "extra [app]",
    "flwr": "extra [fed]",
    "ray": "comes with flwr[simulation]",
    "dp_accounting": "extra [fed]",
    "smplx": "extra [smpl], only with the user's model files",
}
# in-house imports kept inside a function: (importing module, imported module) → why
ALLOWED_LOCAL = {
    ("usr.io.capture", "usr.io.meshes"): "trimesh (~0.7 s) stays off the import path of every reader and of the CLI",
    ("smpl_d.anny_backend", "anny"): "8-10 s to import here: only when an anny body is made, not for SMPL or a CLI",
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (in-house: resolved to a module of ours when it is one) or third-party name
    line: int
    local: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:` (never executed)


def module_files(root: Path = ROOT, packages: tuple[str, ...] = LAYERS) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the packages."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_imports(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """Every import statement of a module, in-house targets resolved to modules (a `from pkg import sub` names pkg.sub)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[Import] = []

    def add(target: str, node: ast.stmt, local: bool, type_only: bool) -> None:
        imp = Import(module, target, node.lineno, local, type_only)
        if imp not in out:  # `from m import a, b` is one import of m
            out.append(imp)

    def visit(node: ast.AST, local: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, local, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else base, node, local, type_only)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, local, True)
            for child in node.orelse:
                visit(child, local, type_only)
            return
        local = local or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, local, type_only)

    visit(ast.parse(path.read_text(), str(path)), False, False)
    return out


def all_imports(root: Path = ROOT, packages: tuple[str, ...] = LAYERS) -> tuple[dict[str, Path], list[Import]]:
    modules = module_files(root, packages)
    return modules, [imp for name, path in modules.items() for imp in module_imports(name, path, modules)]


@functools.cache
def repo_imports() -> tuple[dict[str, Path], list[Import]]:
    """The repository's modules and imports, read once per test session."""
    return all_imports()


def layer(module: str) -> str:
    return module.split(".")[0]


def cycles(modules: dict[str, Path], imports: list[Import]) -> list[list[str]]:
    """Strongly connected components (more than one module, or a module importing itself) of the module-level graph."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        if not imp.local and not imp.type_only and imp.target in modules:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def upward_imports(imports: list[Import], layers: tuple[str, ...] = LAYERS) -> list[str]:
    rank = {name: i for i, name in enumerate(layers)}
    return [f"{imp.source}:{imp.line} imports {imp.target}" for imp in imports
            if layer(imp.target) in rank and rank[layer(imp.target)] > rank[layer(imp.source)]]


def _commented(lines: list[str], line: int) -> bool:
    """A comment on the import's line, or on the run of import / blank / comment lines just above it (one comment may
    explain a group of imports), or on the `try:` opening it."""
    for i in range(line - 1, -1, -1):
        text = lines[i].strip()
        if "#" in text and (i == line - 1 or text.startswith(("#", "import ", "from ", "try:"))):
            return True
        if i < line - 1 and not (text == "" or text.startswith(("import ", "from "))):
            return False
    return False


def unexplained_local_imports(modules: dict[str, Path], imports: list[Import], root: Path = ROOT) -> list[str]:
    """Function-local imports in the library that are not allowed, or allowed but without a comment where they stand.

    Allowed: an optional package (OPTIONAL_PACKAGES), a module of ours that imports one at module level (directly or
    through others), or an entry of ALLOWED_LOCAL."""
    bad = []
    for imp in imports:
        if not imp.local or layer(imp.source) not in LIBRARY:
            continue
        where = f"{modules[imp.source].relative_to(root)}:{imp.line} imports {imp.target}"
        optional = imp.target.split(".")[0] in OPTIONAL_PACKAGES or (
            imp.target in modules and imported_packages(imp.target, modules, imports) & set(OPTIONAL_PACKAGES))
        if not optional and (imp.source, imp.target) not in ALLOWED_LOCAL:
            bad.append(where + " inside a function (move it to module level, or allow it here with the reason)")
        elif not _commented(modules[imp.source].read_text().splitlines(), imp.line):
            bad.append(where + " inside a function without a comment saying why")
    return bad


def test_imports_go_downward_only():
    _, imports = repo_imports()
    assert upward_imports(imports) == []


def test_no_module_level_import_cycles():
    modules, imports = repo_imports()
    assert cycles(modules, imports) == []


def test_library_imports_at_module_level():
    modules, imports = repo_imports()
    assert unexplained_local_imports(modules, imports) == []


def test_allow_list_is_current():
    """An allowed local import that is gone (moved up, or its module renamed) leaves the list."""
    modules, imports = repo_imports()
    present = {(imp.source, imp.target) for imp in imports if imp.local}
    assert sorted(set(ALLOWED_LOCAL) - present) == []


def imported_packages(start: str, modules: dict[str, Path], imports: list[Import]) -> set[str]:
    """Top-level names of the third-party packages importing `start` executes (its parent packages' too)."""
    seen, todo, outside = set(), [start], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run first
        for imp in imports:
            if imp.source == name and not imp.local and not imp.type_only:
                if imp.target in modules:
                    todo.append(imp.target)
                elif layer(imp.target) not in LAYERS:
                    outside.add(imp.target.split(".")[0])
    return outside - set(sys.stdlib_module_names) - {"__future__"}


def test_sam_wiring_imports_only_what_the_sam_environment_has():
    """`make test-sam` runs tests/test_sam.py in a second environment holding torch, torchvision, segment-anything,
    numpy and OpenCV only: usr.parsing.sam_refine must import with nothing else."""
    modules, imports = repo_imports()
    assert imported_packages("usr.parsing.sam_refine", modules, imports) <= {"numpy", "cv2", "torch"}


def test_checks_find_what_they_look_for(tmp_path):
    """The checks on a made-up tree: a cycle hidden in a function is no cycle; at module level it is one."""
    def write(rel: str, text: str) -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    write("usr/__init__.py", "")
    write("usr/a.py", "from usr.b import f\n")
    write("usr/b.py", "def f():\n    from usr.a import g  # local\n")
    write("usr/c.py", "from . import d\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from usr.c import x\n")
    write("usr/d.py", "import usr.c\n")
    write("smpl_d/__init__.py", "")
    write("smpl_d/up.py", "def f():\n    import apps.cli\n")
    modules, imports = all_imports(tmp_path, ("usr", "smpl_d"))
    assert cycles(modules, imports) == [["usr.c", "usr.d"]]
    assert upward_imports(imports) == ["smpl_d.up:2 imports apps.cli"]
    local = sorted((imp.source, imp.target) for imp in imports if imp.local)
    assert local == [("smpl_d.up", "apps.cli"), ("usr.b", "usr.a")]
    assert unexplained_local_imports(modules, imports, tmp_path) == [  # a comment alone does not allow it
        f"{rel}:2 imports {target} inside a function (move it to module level, or allow it here with the reason)"
        for rel, target in (("usr/b.py", "usr.a"), ("smpl_d/up.py", "apps.cli"))]
    write("usr/b.py", "from usr.a import g\n")
    write("usr/e.py", "def f():\n    from usr.flower import x\n\n\ndef g():\n    import smplx\n")
    write("usr/flower.py", "import os\n\nimport flwr  # the [fed] extra\n")
    modules, imports = all_imports(tmp_path, ("usr",))
    assert cycles(modules, imports) == [["usr.a", "usr.b"], ["usr.c", "usr.d"]]
    assert imported_packages("usr.e", modules, imports) == set()
    assert imported_packages("usr.flower", modules, imports) == {"flwr"}
    assert unexplained_local_imports(modules, imports, tmp_path) == [
        "usr/e.py:2 imports usr.flower inside a function without a comment saying why",
        "usr/e.py:6 imports smplx inside a function without a comment saying why"]
    write("usr/e.py", "def f():\n    # both optional\n    from usr.flower import x\n\n    import smplx\n")
    modules, imports = all_imports(tmp_path, ("usr",))
    assert unexplained_local_imports(modules, imports, tmp_path) == []
