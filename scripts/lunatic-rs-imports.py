#!/usr/bin/env python3
"""Checks every host function lunatic-rs declares against this runtime's ABI registry.
Python 3 standard library only.

    python3 scripts/lunatic-rs-imports.py [--lunatic build/lunatic] [--work DIR] API_RS

API_RS is lunatic-rs's `src/host/api.rs` (0.14: the crate's only `extern "C"` blocks). Each
`#[link(wasm_import_module = "M")] extern "C" { ... }` block is parsed (attributes, comments,
signatures over several lines, `#[link_name = "..."]`), every `fn` in it becomes an import of a
WebAssembly module with the signature a wasm32 build gives it, and `lunatic compile` checks that
module: the runtime checks a module's imports against its registry before it compiles it and
refuses it with one line per missing or mismatched import (docs/abi.md). The check passes only if
the runtime accepts the module.

Rust types map to wasm types as rustc's wasm32 C ABI passes them:
  u8 i8 u16 i16 u32 i32 usize isize bool char, *const T, *mut T  -> i32
  u64 i64                                                      -> i64
  f32 -> f32, f64 -> f64, no result or () -> no result
Any other type (a reference, a struct, u128, a fn pointer) stops the check with an error, as
does anything in an extern block that is not a plain `fn` declaration.

Prints the namespaces with their counts and finally `imports: N functions in N namespaces
accepted` (exit 0) or the runtime's lines and `imports: ... REFUSED` (exit 1); exit 2 when
api.rs cannot be read as expected or a tool is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WASM_TYPE = {
    **{t: "i32" for t in ("u8", "i8", "u16", "i16", "u32", "i32", "usize", "isize", "bool", "char")},
    "u64": "i64",
    "i64": "i64",
    "f32": "f32",
    "f64": "f64",
}


class ParseError(Exception):
    pass


@dataclass
class Import:
    module: str
    name: str
    params: list[str]
    results: list[str]
    rust: str  # the declaration as written, on one line

    def wat(self) -> str:
        params = f" (param {' '.join(self.params)})" if self.params else ""
        results = f" (result {' '.join(self.results)})" if self.results else ""
        return f'  (import "{self.module}" "{self.name}" (func{params}{results}))'


def strip_comments(text: str) -> str:
    """Removes // and /* */ comments (nested, as in Rust), keeping string literals and line
    breaks, so that line numbers in errors still match."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
            if depth:
                raise ParseError("unterminated block comment")
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def matching(text: str, start: int, open_: str, close: str) -> int:
    """The index just past the bracket that closes the one at `start`."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ParseError(f"unbalanced {open_!r} at offset {start}")


def split_top(text: str, sep: str) -> list[str]:
    """Splits at `sep` outside brackets."""
    parts, depth, last = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{<":
            depth += 1
        elif c in ")]}>" and not (c == ">" and text[i - 1] == "-"):
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[last:i])
            last = i + 1
    parts.append(text[last:])
    return parts


def wasm_type(rust: str, where: str) -> str:
    rust = " ".join(rust.split())
    if re.fullmatch(r"\*\s*(const|mut)\s+.+", rust):
        return "i32"  # a pointer into the guest's memory (wasm32)
    if rust not in WASM_TYPE:
        raise ParseError(f"{where}: no wasm type known for the Rust type `{rust}`")
    return WASM_TYPE[rust]


ATTRIBUTE = re.compile(r"#\s*\[(.*?)\]\s*", re.S)
FN = re.compile(r"(?:pub(?:\s*\([^)]*\))?\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def parse_block(file: str, module: str, body: str, line_of) -> list[Import]:
    imports = []
    for item in split_top(body, ";"):
        if not item.strip():
            continue
        where = f"{file}:{line_of(item)}"
        link_name = None
        text = item.strip()
        while text.startswith("#"):
            m = ATTRIBUTE.match(text)
            if not m:
                raise ParseError(f"{where}: an attribute this script cannot read: {text[:60]!r}")
            attribute = " ".join(m.group(1).split())
            named = re.fullmatch(r'link_name\s*=\s*"([^"]+)"', attribute)
            if named:
                link_name = named.group(1)
            elif not re.fullmatch(r"(allow|warn|deny|doc)\b.*", attribute):
                # cfg and the like would decide whether the import exists at all
                raise ParseError(f"{where}: an attribute this script does not handle: #[{attribute}]")
            text = text[m.end() :]
        m = FN.match(text)
        if not m:
            raise ParseError(f"{where}: not a function declaration: {' '.join(text.split())[:80]!r}")
        name = m.group(1)
        close = matching(text, m.end() - 1, "(", ")")
        rest = re.fullmatch(r"\s*(?:->\s*(.+?))?\s*", text[close:], re.S)
        if not rest:
            raise ParseError(f"{where}: `{name}`: cannot read what follows its parameters: {text[close:]!r}")
        params = []
        for param in split_top(text[m.end() : close - 1], ","):
            if not param.strip():
                continue  # a trailing comma
            if param.strip() == "...":
                raise ParseError(f"{where}: `{name}` is variadic")
            pattern, colon, rust_type = param.partition(":")
            if not colon:
                raise ParseError(f"{where}: a parameter of `{name}` without a type: {param.strip()!r}")
            params.append(wasm_type(rust_type, f"{where} ({name})"))
        result = " ".join((rest.group(1) or "").split())
        if result == "!":
            raise ParseError(f"{where}: `{name}` never returns (`-> !`); not a plain import")
        results = [] if result in ("", "()") else [wasm_type(result, f"{where} ({name})")]
        imports.append(Import(module, link_name or name, params, results, " ".join(text.split())))
    return imports


EXTERN = re.compile(r'extern\s+"C"\s*\{')
LINK = re.compile(r'#\s*\[\s*link\s*\(\s*wasm_import_module\s*=\s*"([^"]+)"\s*\)\s*\]\s*$')


def parse_api(file: str, text: str) -> list[Import]:
    text = strip_comments(text)

    def line_of(fragment: str) -> int:
        stripped = fragment.lstrip()
        at = text.find(stripped) if stripped else -1
        return text.count("\n", 0, at) + 1 if at >= 0 else 0

    imports = []
    for m in EXTERN.finditer(text):
        before = text[: m.start()]
        link = LINK.search(before)
        where = f"{file}:{text.count(chr(10), 0, m.start()) + 1}"
        if not link:
            raise ParseError(f"{where}: an extern \"C\" block without #[link(wasm_import_module = ...)] "
                             "right before it (its functions would import from \"env\")")
        end = matching(text, m.end() - 1, "{", "}")
        imports += parse_block(file, link.group(1), text[m.end() : end - 1], line_of)
    if not imports:
        raise ParseError(f"{file}: no extern \"C\" block with functions; is this lunatic-rs's src/host/api.rs?")
    return imports


def main() -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lunatic", default=str(here.parent / "build" / "lunatic"))
    parser.add_argument("--work", help="keep imports.wat and imports.wasm here (default: a temporary folder)")
    parser.add_argument("api_rs", help="lunatic-rs's src/host/api.rs")
    args = parser.parse_args()

    try:
        imports = parse_api(Path(args.api_rs).name, Path(args.api_rs).read_text())
    except (OSError, ParseError) as e:
        print(f"imports: cannot check {args.api_rs}: {e}", file=sys.stderr)
        return 2

    # One import per (module, name, signature): the same declaration twice is one import; two
    # different signatures under one name stay two, and the runtime refuses one of them.
    seen: dict[tuple, Import] = {}
    for imp in imports:
        seen.setdefault((imp.module, imp.name, tuple(imp.params), tuple(imp.results)), imp)
    unique = list(seen.values())
    namespaces: dict[str, int] = {}
    for imp in unique:
        namespaces[imp.module] = namespaces.get(imp.module, 0) + 1

    wat = "\n".join(
        ["(module"]
        + [imp.wat() for imp in unique]
        + ['  (memory (export "memory") 1)', '  (func (export "_start")))', ""]
    )
    wat2wasm = shutil.which("wat2wasm")
    if not wat2wasm:
        print("imports: wat2wasm is missing (Debian: apt-get install wabt)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lunatic-rs-imports.") as temporary:
        work = Path(args.work or temporary)
        work.mkdir(parents=True, exist_ok=True)
        (work / "imports.wat").write_text(wat)
        subprocess.run([wat2wasm, str(work / "imports.wat"), "-o", str(work / "imports.wasm")], check=True)
        # -o keeps the artifact out of the artifact cache; the import check comes first anyway.
        run = subprocess.run(
            [args.lunatic, "compile", "-o", str(work / "imports.lart"), str(work / "imports.wasm")],
            capture_output=True, text=True, timeout=600,
        )

    for module, count in namespaces.items():
        print(f"  {module}: {count}")
    summary = f"{len(unique)} functions in {len(namespaces)} namespaces"
    if run.returncode == 0:
        print(f"imports: {summary} (lunatic-rs's {Path(args.api_rs).name}) accepted")
        return 0
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    for line in lines:
        print(f"  {line.strip()}")
    refused = sum(1 for line in lines if re.match(r"\s*(missing|mismatched) import: module", line))
    print(f"imports: {summary} checked, REFUSED ({refused} missing or mismatched; "
          f"lunatic compile exit code {run.returncode})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
