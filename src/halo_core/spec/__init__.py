"""Loading and validating pipeline specs.

A spec is YAML (safe loader only). Loading keeps every node's position, so each problem is reported
as `file:line:column: what (fix: how)`, and every problem is reported at once, not the first only.

Loading, in order: parse; apply `--set path=value` overrides; interpolate `${VAR}` and
`${VAR:-default}` from the environment (`$$` is a literal `$`); pick inputs (`--input` replaces the
spec's; globs expanded; spec-relative paths resolved against the spec's folder); check the spec's
shape. `validate()` then checks what building and running would need: component names, each
component's `with:` against its `Config`, requires/provides between extractors, each component's
`check()`, LLM fallbacks, and (optionally) that every input is media the extractors can read.

Values that came from the environment are secrets (except in the path fields `inputs` and
`outputs`): `LoadedSpec.redact()` masks them and `LoadedSpec.storable()` writes every interpolated
value back as its `${VAR}` text, so a stored spec never holds them.

Modules: `loading` (the public load functions), `yaml_source` (reading, parsing, node marks),
`overrides` (`--set`), `interpolation` (`${VAR}`, secrets, redaction), `inputs`, `shape` (the
models' fields, pydantic errors as problems), `validation` (a dry build), `loaded` (`LoadedSpec`),
`problems` (how a problem is written and where it points), `questions` (an input's sidecar
`<media stem>.questions.yaml`).
"""

from .loaded import LoadedSpec
from .loading import load_and_validate, load_spec, load_stored_spec
from .questions import sidecar_questions
from .shape import COMPONENT_FIELDS
from .validation import Report, inspect_spec, validate

__all__ = [
    "COMPONENT_FIELDS",
    "LoadedSpec",
    "Report",
    "inspect_spec",
    "load_and_validate",
    "load_spec",
    "load_stored_spec",
    "sidecar_questions",
    "validate",
]
