"""The table of component kinds (`halo_core.kinds`) holds together: each row's base class, hook,
spec field and schema exist and agree, so a new kind is one row plus what the row names."""

from __future__ import annotations

import typing

import pytest

from halo_core import hookspecs
from halo_core.components import Kind
from halo_core.kinds import KINDS, KindInfo
from halo_core.plugins import get_registry
from halo_core.schema import pipeline_schema
from halo_core.spec_model import ComponentRef, PipelineSpec


def test_every_kind_has_a_row() -> None:
    assert sorted(typing.get_args(Kind)) == sorted(row.kind for row in KINDS)


@pytest.mark.parametrize("row", KINDS, ids=lambda row: row.kind)
def test_a_row_names_its_base_hook_and_spec_field(row: KindInfo) -> None:
    assert row.base.kind == row.kind
    assert f":class:`halo_core.{row.base.__name__}`" in (getattr(hookspecs, row.hook).__doc__ or "")
    field = PipelineSpec.model_fields[row.field]
    default = field.get_default(call_default_factory=True)
    if row.many:
        assert default == []
    else:
        assert isinstance(default, ComponentRef)
        assert default.use in get_registry().components[row.kind], "the default is built in"


def test_the_pipeline_schema_has_a_reference_per_kind() -> None:
    defs = pipeline_schema(get_registry())["$defs"]
    assert {f"{row.title}Ref" for row in KINDS} <= set(defs)
