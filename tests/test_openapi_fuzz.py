"""Schemathesis against the OpenAPI document: generated requests to every operation, no server error."""

import schemathesis
from hypothesis import HealthCheck, reject, settings
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance

from ingest.settings import Settings
from service.app import create_app

# The document does not depend on the index, so it is read from an app that is never started;
# the requests go to the `client` fixture's app, which serves the real default corpus.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def request_arguments(case, base_url: str) -> dict:
    """The case as keyword arguments for the test client (httpx): no per-request cookies (none
    are used), raw bodies as ``content``."""
    arguments = case.as_transport_kwargs(base_url=base_url)
    arguments.pop("cookies", None)
    if isinstance(arguments.get("data"), (bytes, str)):
        arguments["content"] = arguments.pop("data")
    return arguments


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_server_error(case, client):
    """Every default check (no 5xx, documented status codes, content types and bodies, schema-invalid
    requests refused) except two: some schema-valid values are refused on purpose and documented
    as 422, because no static schema can list them (an organisation the index does not hold, a
    question without a letter or digit); and a 405's Allow header names the methods of one route
    only where GET and POST share a path (/api/feedback), which is how Starlette routes."""
    response = client.request(**request_arguments(case, str(client.base_url)))
    try:
        response.request.read()  # a multipart upload is sent as a stream; the checks read the request's body
    except (AttributeError, TypeError):
        reject()  # a generated "file" that is not bytes: no client can encode it, so it was never sent
    case.validate_response(response, excluded_checks=[positive_data_acceptance, allow_header_conformance])
