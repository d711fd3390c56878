"""The committed JSON Schemas in specs/ match the models, and say what they promise."""

from __future__ import annotations

import json
from pathlib import Path

from halo_core.model import OUTPUT_MODELS, SCHEMA_VERSION
from halo_core.plugins import get_registry
from halo_core.schema import PIPELINE_SCHEMA_FILE, all_schemas, pipeline_schema, render

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
REGENERATE = "run `halo schema` (built-ins only: `HALO_LOAD_PLUGINS= halo schema --out specs`)"


def test_committed_schemas_match_the_models(run_halo, isolated_env, tmp_path):
    result = run_halo("schema", "--out", str(tmp_path), env=isolated_env(HALO_LOAD_PLUGINS=""))
    assert result.returncode == 0, result.stderr
    generated = {p.name: p.read_text() for p in tmp_path.glob("*.schema.json")}
    committed = {p.name: p.read_text() for p in SPECS.glob("*.schema.json")}
    assert sorted(generated) == sorted(committed), f"specs/ holds other files: {REGENERATE}"
    drifted = sorted(name for name in generated if generated[name] != committed[name])
    assert not drifted, f"specs/{', specs/'.join(drifted)} out of date: {REGENERATE}"


def test_every_output_model_has_a_versioned_schema():
    files = all_schemas(get_registry())
    assert set(files) == {PIPELINE_SCHEMA_FILE} | {f"{n}.schema.json" for n in OUTPUT_MODELS}
    for name in OUTPUT_MODELS:
        schema = files[f"{name}.schema.json"]
        assert schema["$id"] == f"urn:halo:schema:{name}:v{SCHEMA_VERSION}"
        assert schema["version"] == SCHEMA_VERSION
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(render(files["timeline.schema.json"]))["title"] == "Timeline"


def test_pipeline_schema_knows_each_components_options(toy_components):
    schema = pipeline_schema(get_registry())
    assert schema["$id"] == "urn:halo:schema:pipeline:v1"
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["chunker"]["$ref"] == "#/$defs/ChunkerRef"
    assert schema["properties"]["extractors"]["items"] == {"$ref": "#/$defs/ExtractorRef"}

    chunker_ref = schema["$defs"]["ChunkerRef"]
    assert "toy-chunker" in chunker_ref["properties"]["use"]["examples"]
    [rule] = [r for r in chunker_ref["allOf"]
              if r["if"]["properties"]["use"] == {"const": "toy-chunker"}]
    target = rule["then"]["properties"]["with"]["$ref"].removeprefix("#/$defs/")
    options = schema["$defs"][target]
    assert options["additionalProperties"] is False  # unknown options are errors in editors too
    assert options["properties"]["max_duration"]["exclusiveMinimum"] == 0
    assert options["properties"]["max_duration"]["description"] == "longest chunk, seconds"

    llm_ref = schema["$defs"]["LLMRef"]
    assert "fallback" in llm_ref["properties"]
    assert {"toy-cloud", "toy-offline"} <= set(llm_ref["properties"]["use"]["examples"])


def test_committed_pipeline_schema_lists_the_built_ins():
    committed = json.loads((SPECS / PIPELINE_SCHEMA_FILE).read_text())
    def names(ref: str) -> list[str]:
        return committed["$defs"][ref]["properties"]["use"].get("examples", [])

    assert "rules" in names("ChunkerRef")
    assert "subtitles" in names("ExtractorRef")
    assert not any(name.startswith("toy-") for name in json.dumps(committed).split('"'))
