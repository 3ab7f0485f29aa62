"""Split a note's text into YAML front matter and body, and parse the YAML safely with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..diagnostics import NoteError, clip

_FENCE = re.compile(r"^---[ \t]*$")
_END_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
# ``title：xxx`` typed with a full-width colon (common with Chinese input methods).
_FULLWIDTH_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*：[ \t]*", re.MULTILINE)
# ``status: :x:`` is not valid YAML (a colon ends the value); read it as the string it means.
_SHORTCODE_VALUE = re.compile(r"^([A-Za-z_][\w-]*):[ \t]+(:[a-z0-9_+\-]+:)[ \t]*$", re.MULTILINE)


@dataclass
class FrontMatter:
    data: dict[str, Any]
    key_lines: dict[str, int]  # key -> 1-based line in the file
    raw_scalars: dict[str, str] = field(default_factory=dict)  # key -> scalar exactly as written
    present: bool = False
    value_lines: dict[str, int] = field(default_factory=dict)  # any scalar value -> its first line


@dataclass
class SplitNote:
    front: FrontMatter
    body: str
    body_line: int  # 1-based line where the body starts


_NULL_TAG = "tag:yaml.org,2002:null"


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that refuses anchors/aliases (no "billion laughs") and keeps duplicate keys visible."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "YAML aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


# libyaml's parser is about ten times faster; it cannot refuse aliases while composing, so text
# that could hold an anchor or alias goes to the pure-Python loader above.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _loader_for(yaml_text: str):
    if _FAST_LOADER is not None and "&" not in yaml_text and "*" not in yaml_text:
        return _FAST_LOADER(yaml_text)
    return _NoAliasLoader(yaml_text)


def normalize_text(text: str) -> str:
    """Drop a BOM and turn CRLF / lone CR line endings into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split(text: str) -> SplitNote:
    """Split normalised note text; raises NoteError for broken front matter."""
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        return SplitNote(FrontMatter({}, {}), text, 1)
    for end in range(1, len(lines)):
        if _END_FENCE.match(lines[end]):
            break
    else:
        raise NoteError("front matter starts with '---' but has no closing '---' line", 1)
    yaml_text = "\n".join(lines[1:end])
    front = parse_yaml(yaml_text, first_line=2)
    body = "\n".join(lines[end + 1 :])
    return SplitNote(front, body, end + 2)


def parse_yaml(yaml_text: str, first_line: int, where: str = "front matter") -> FrontMatter:
    """``where`` names the YAML in messages ("front matter", "papernotes.yaml")."""
    yaml_text = _FULLWIDTH_KEY.sub(r"\1: ", yaml_text)
    yaml_text = _SHORTCODE_VALUE.sub(r'\1: "\2"', yaml_text)
    if not yaml_text.strip():
        return FrontMatter({}, {}, present=True)
    try:
        loader = _loader_for(yaml_text)
    except (yaml.reader.ReaderError, UnicodeEncodeError) as exc:  # found by fuzzing (scripts/fuzz.py)
        raise _unreadable(exc, yaml_text, first_line, where) from None
    node = None
    try:
        node = loader.get_single_node()
        if node is None:
            return FrontMatter({}, {}, present=True)
        if not isinstance(node, yaml.MappingNode):
            raise NoteError(
                f"{where} must be a mapping of 'key: value' lines, "
                f"found a {_node_kind(node)}",
                first_line + node.start_mark.line,
            )
        key_lines: dict[str, int] = {}
        raw: dict[str, str] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise NoteError(f"{where} keys must be plain words", first_line + key_node.start_mark.line)
            name = str(key_node.value)
            if name in key_lines:
                raise NoteError(
                    f"key '{name}' appears twice (first on line {key_lines[name]})",
                    first_line + key_node.start_mark.line,
                )
            key_lines[name] = first_line + key_node.start_mark.line
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag != _NULL_TAG:
                raw[name] = str(value_node.value)  # (null, ~ and an empty value mean absent)
        value_lines: dict[str, int] = {}
        _collect_value_lines(node, first_line, value_lines)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and mark is not None and mark.line >= yaml_text.count("\n") + 1:
            mark = exc.context_mark  # noticed only at the end: point at what was left open
        line = first_line + mark.line if mark is not None else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        raise NoteError(f"invalid YAML in {where}: {problem}", line) from None
    except yaml.reader.ReaderError as exc:
        raise _unreadable(exc, yaml_text, first_line, where) from None
    except yaml.YAMLError as exc:
        raise NoteError(f"invalid YAML in {where}: {exc}", first_line) from None
    except RecursionError:
        raise NoteError(f"{where} is nested too deeply", first_line) from None
    except (ValueError, OverflowError) as exc:  # 'date: 2022-13-45' (found by fuzzing, scripts/fuzz.py)
        bad = _unconstructable(node) if node is not None else None
        line = first_line + bad.start_mark.line if bad is not None else first_line
        shown = f" '{clip(bad.value, 40)}'" if bad is not None else ""
        reason = "the number is too long" if "digits" in str(exc) else clip(exc, 120)
        raise NoteError(f"invalid value{shown} in {where}: {reason}; put it in quotes to keep it as text",
                        line) from None
    finally:
        loader.dispose()
    data = {str(k): v for k, v in data.items()}
    return FrontMatter(data, key_lines, raw, present=True, value_lines=value_lines)


def _unconstructable(node: yaml.Node) -> yaml.ScalarNode | None:
    """The first scalar (a date such as 2022-13-45) that YAML reads by its form but cannot build."""
    constructor = yaml.constructor.SafeConstructor()
    pending = [node]
    while pending:
        current = pending.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current)
            except (ValueError, OverflowError):
                return current
            except yaml.YAMLError:
                pass
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            pending.extend(n for pair in current.value for n in pair)
    return None


def _unreadable(exc: yaml.reader.ReaderError | UnicodeEncodeError, yaml_text: str, first_line: int,
                where: str = "front matter") -> NoteError:
    """YAML refuses control characters (and lone surrogates) anywhere in the text: say which, where."""
    if isinstance(exc, UnicodeEncodeError):
        index = exc.start
    else:  # libyaml counts bytes, the Python reader characters: look the character up
        index = yaml_text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
    character = yaml_text[index] if 0 <= index < len(yaml_text) else "\ufffd"
    line = first_line + yaml_text.count("\n", 0, max(0, index))
    return NoteError(f"invalid YAML in {where}: the character U+{ord(character):04X} is not allowed "
                     "in YAML", line)


def _collect_value_lines(node: yaml.Node, first_line: int, found: dict[str, int], depth: int = 0) -> None:
    if depth > 50:
        return
    if isinstance(node, yaml.ScalarNode):
        found.setdefault(str(node.value), first_line + node.start_mark.line)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _collect_value_lines(item, first_line, found, depth + 1)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _collect_value_lines(value, first_line, found, depth + 1)


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "single value"
