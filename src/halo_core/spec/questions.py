"""Questions for one input: the sidecar `<media stem>.questions.yaml` beside the media file, a
YAML list of strings (safe loader only), e.g. for `talk.mp4` the file `talk.questions.yaml`:

    - Which enzyme unwinds the DNA double helix?
    - In which city did Gutenberg develop his printing press?

A run asks them besides the spec's `tasks.ask` (and `halo run --ask`), for that input only.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MediaError, SpecError
from .yaml_source import parse

SUFFIX = ".questions.yaml"
_FIX = "write one question per line, each starting with `- `, e.g. `- What is covered?`"


def sidecar_path(media: Path) -> Path:
    """Where the questions for `media` are looked for."""
    return media.with_name(media.stem + SUFFIX)


def sidecar_questions(media: Path) -> list[str]:
    """The questions of `media`'s sidecar file; none when there is no such file. MediaError
    (at `file:line:col`, with the fix) when it is not a YAML list of non-empty strings."""
    path = sidecar_path(media)
    if not path.is_file():
        return []
    file = str(path)
    try:
        data, locations = parse(path.read_text(encoding="utf-8"), file)
    except SpecError as exc:  # its problem already says file:line:col and the fix
        raise MediaError(exc.problems[0]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"cannot read the questions file ({exc})", where=file,
                         fix="make it readable UTF-8 text, or remove it") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise MediaError(f"expected a list of questions, found a {type(data).__name__}",
                         where=locations.of(()), fix=_FIX)
    for index, item in enumerate(data):
        if not isinstance(item, str) or not item.strip():
            raise MediaError(f"question {index + 1} is not a question (text): {item!r}",
                             where=locations.of((index,)), fix=_FIX)
    return [item.strip() for item in data]
