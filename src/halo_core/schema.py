"""JSON Schemas for the pipeline spec and for every output file (what `halo schema` writes).

The pipeline schema makes each component's `with:` discoverable: for every registered component
name there is an `if use == NAME then with: <its Config's schema>` rule, so an editor completes and
checks options. It is built from the registry at the time; the committed `specs/` files are made
with built-ins only (HALO_LOAD_PLUGINS=""), so they do not depend on what happens to be installed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .artifacts import atomic_write_text
from .kinds import BY_KIND, KIND_NAMES
from .model import OUTPUT_MODELS, SCHEMA_VERSION
from .plugins import Registry
from .spec import COMPONENT_FIELDS
from .spec_model import PipelineSpec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PIPELINE_SCHEMA_VERSION = 1
PIPELINE_SCHEMA_FILE = "pipeline.schema.json"

def schema_id(name: str, version: int) -> str:
    return f"urn:halo:schema:{name}:v{version}"



def pipeline_schema(registry: Registry) -> dict[str, Any]:
    """The pipeline spec's JSON Schema, with each registered component's options."""
    components = [info for kind in KIND_NAMES
                  for _, info in sorted(registry.components[kind].items())]
    models: list[tuple[type[BaseModel], Any]] = [(PipelineSpec, "validation")]
    models += [(info.cls.Config, "validation") for info in components]
    refs, top = models_json_schema(list(dict.fromkeys(models)), ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top["$defs"]
    spec = defs.pop("PipelineSpec")
    # The generic references are replaced by one schema per kind, below.
    model_defs = {name: defs.pop(name) for name in ("ComponentRef", "ExtractorRef", "LLMRef")}
    ref_models = {"extractor": "ExtractorRef", "llm": "LLMRef"}

    for field_name, kind in COMPONENT_FIELDS.items():
        base = copy.deepcopy(model_defs[ref_models.get(kind, "ComponentRef")])
        names = sorted(registry.components[kind])
        label = kind.replace("_", " ")
        base["title"] = f"{label} reference"
        base["properties"]["use"]["description"] = (
            f"the {label}'s registered name (`halo plugins` lists them)")
        if names:
            base["properties"]["use"]["examples"] = names
        rules = [
            {
                "if": {"properties": {"use": {"const": name}}, "required": ["use"]},
                "then": {"properties": {"with": {
                    **refs[(registry.components[kind][name].cls.Config, "validation")],
                    "description": f"options of the {label} {name!r} "
                                   f"({registry.components[kind][name].distribution})",
                }}},
            }
            for name in names
        ]
        if rules:
            base["allOf"] = rules
        def_name = f"{BY_KIND[kind].title}Ref"  # one schema per kind, replacing ComponentRef
        defs[def_name] = base
        target = {"$ref": f"#/$defs/{def_name}"}
        prop = spec["properties"][field_name]
        if BY_KIND[kind].many:
            prop["items"] = target
        else:
            spec["properties"][field_name] = {**target, "description": f"the {label} to use"}

    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id("pipeline", PIPELINE_SCHEMA_VERSION),
        "version": PIPELINE_SCHEMA_VERSION,
        **{key: value for key, value in spec.items() if key != "title"},
        "title": "HALO pipeline spec",
        "$defs": dict(sorted(defs.items())),
    }


def output_schema(name: str, model: type[BaseModel]) -> dict[str, Any]:
    """The schema of one output file (`<name>.json`), as HALO writes it."""
    body = model.model_json_schema(mode="serialization")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(name, SCHEMA_VERSION),
        "version": SCHEMA_VERSION,
        **body,
    }


def all_schemas(registry: Registry) -> dict[str, dict[str, Any]]:
    """File name -> schema, for every file `halo schema` writes."""
    files = {PIPELINE_SCHEMA_FILE: pipeline_schema(registry)}
    for name, model in OUTPUT_MODELS.items():
        files[f"{name}.schema.json"] = output_schema(name, model)
    return files


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(out_dir: Path, registry: Registry) -> list[Path]:
    """Write every schema into `out_dir` atomically; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, schema in all_schemas(registry).items():
        target = out_dir / file_name
        atomic_write_text(target, render(schema))
        written.append(target)
    return written

