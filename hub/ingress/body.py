"""Reading a JSON request body, with the always-on guard every body passes before anything is
forwarded, broadcast or stored (whatever `validation_mode` says):

- not JSON is HTTP 400 with status 2001 (status_codes.asciidoc 10);
- nested deeper than `max_json_depth` (settings; the outermost object or array is level 1) is
  2001 naming the field: deep structures cost recursion wherever they are copied, serialised or
  validated later (a 1,000-level extra field once ended in a RecursionError and HTTP 500). orjson
  refuses more than 1024 levels itself; that is reported the same way;
- a NUL character (U+0000) in any key or string is 2001 naming the field: PostgreSQL cannot keep
  it in text or jsonb, and no OCPI field allows control characters.

The size of a body is capped before it is read (`hub.ingress.middleware`). The guard is cheap:
JSON can carry U+0000 only escaped, so a body without the bytes `\\u0000` has none, and a body
with no more `{`/`[` than the depth limit cannot be too deep; only other bodies are walked, without
recursion. Messages name the JSON path and the rule, never a value.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from hub.errors import InvalidParameters
from hub.state import hub_state

__all__ = ["DEFAULT_MAX_DEPTH", "parse_json", "read_json"]

DEFAULT_MAX_DEPTH = 32  # settings.max_json_depth's default
_NUL_ESCAPE = b"\\u0000"
_SHOWN_SEGMENTS = 4  # a too-deep path is named by its first segments
_SHOWN_KEY = 40


def parse_json(raw: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise InvalidParameters(f"body: nested deeper than {max_depth} levels", http_status=400) from None
        raise InvalidParameters("Request body is not valid JSON", http_status=400) from exc
    problem = _problem(value, raw, max_depth)
    if problem is not None:
        raise InvalidParameters(problem, http_status=400)
    return value


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise InvalidParameters("Request body is required", http_status=400)
    return parse_json(raw, max_depth=hub_state(request).settings.max_json_depth)


# A container on the walk: (value, depth, parent entry, key in the parent); the parent links give
# the path back only when a problem is found.
_Entry = tuple[Any, int, "Any", "str | int | None"]


def _problem(value: Any, raw: bytes, max_depth: int) -> str | None:
    """What is wrong with a parsed body (depth, NUL), or None. Iterative: any depth is safe."""
    nul = _NUL_ESCAPE in raw
    if not nul and raw.count(b"{") + raw.count(b"[") <= max_depth:
        return None
    if not isinstance(value, (dict, list)):
        return "body: contains a NUL character (U+0000)" if isinstance(value, str) and "\x00" in value else None
    stack: list[_Entry] = [(value, 1, None, None)]
    while stack:
        entry = stack.pop()
        node, depth = entry[0], entry[1]
        if depth > max_depth:
            return f"{_path(entry)}: nested deeper than {max_depth} levels"
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in pairs:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, entry, key))
            elif nul and isinstance(child, str) and "\x00" in child:
                return f"{_path((child, depth, entry, key))}: contains a NUL character (U+0000)"
            if nul and isinstance(key, str) and "\x00" in key:
                return f"{_path((child, depth, entry, key))}: a key contains a NUL character (U+0000)"
    return None


def _path(entry: _Entry) -> str:
    """`evses[0].connectors` from the parent links; long paths keep their first segments."""
    keys: list[str | int] = []
    current: _Entry | None = entry
    while current is not None and current[2] is not None:
        keys.append(current[3])  # type: ignore[arg-type]
        current = current[2]
    keys.reverse()
    out = ""
    for key in keys[:_SHOWN_SEGMENTS]:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            shown = _printable(key)
            out += f".{shown}" if out else shown
    if len(keys) > _SHOWN_SEGMENTS:
        out += "..."
    return out or "body"


def _printable(key: str) -> str:
    """A key as it may appear in a message: escaped control characters, bounded length."""
    text = key if key.isprintable() else key.encode("unicode_escape").decode("ascii")
    return text if len(text) <= _SHOWN_KEY else text[: _SHOWN_KEY - 3] + "..."
