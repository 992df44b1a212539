"""Schemathesis against the service's own OpenAPI schema, as finance staff and as a department head.

Every operation gets generated requests, valid and not; the service must never answer 5xx,
and what it answers must match the schema.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cases.tokens import api_token_create
from tests.conftest import csv_bytes, good_rows
from tests.imports.helpers import run_import

# The schema the service serves at /api/v1/schema/, generated the same way.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str)))

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def tokens(org, finance_user, head_user):  # type: ignore[no-untyped-def]
    run_import(org["source"], csv_bytes(good_rows(n=5)))
    return {
        "finance": api_token_create(user=finance_user, created_by=finance_user)[1],
        "head": api_token_create(user=head_user, created_by=head_user)[1],
    }


@pytest.mark.parametrize("role", ["finance", "head"])
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_matches_its_schema(case, role, tokens, live_server):  # type: ignore[no-untyped-def]
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Token {tokens[role]}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
