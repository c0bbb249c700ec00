"""template.yaml against the code: it must deploy what the code serves, stores and reads.

- cfn-lint finds nothing;
- every route the functions serve is an API event of that function, and nothing else is;
  every path's CORS preflight goes, unauthenticated, to its function, which answers it;
- the tables of both layouts are exactly ``table_definitions`` (keys, indexes, projections,
  billing, TTL), with point-in-time recovery, and deletion protection in prod;
- each function's role allows exactly the DynamoDB actions, tables and indexes of
  ``handlers.registry.PERMISSIONS`` and the secrets of ``SECRETS``, and no ``*`` resource but
  X-Ray's;
- every ``Ref``/``GetAtt``/``Sub`` variable and condition exists;
- every setting the code needs in AWS is in the functions' environment, and each is one the
  code reads;
- runtime, memory and timeout; the gateway's own errors are problem documents; the dashboard's
  business metrics are the ones the handlers emit; samconfig's stages fit the parameters.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from dogcare.settings import Settings
from dogcare.storage.layout import LOGICAL_TABLES, TableLayout
from dogcare.storage.store import Store
from dogcare.storage.tables import table_definitions
from handlers.registry import AUTHORIZER_FUNCTION, FUNCTIONS, PERMISSIONS, SCHEDULED_FUNCTIONS, SECRETS, routes
from tests.deploy import cfn

ROOT = cfn.ROOT
PREFIX = "dogcare-dev"  # the tables' prefix with the template's default stage
LAYOUTS = ("single", "four")
ALL_FUNCTIONS = {**FUNCTIONS, AUTHORIZER_FUNCTION[0]: AUTHORIZER_FUNCTION[1], **SCHEDULED_FUNCTIONS}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
MAX_TIMEOUT = 29  # API Gateway's integration timeout


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load()


def deployed(template: dict[str, Any], **parameters: str) -> cfn.Evaluated:
    return cfn.Evaluated(template, **parameters)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def function_properties(ev: cfn.Evaluated, name: str) -> dict[str, Any]:
    """A function's properties with the template's Globals merged in, the way SAM does."""
    merged: dict[str, Any] = dict(ev.value(ev.template.get("Globals", {}).get("Function", {})))
    own = ev.properties(name)
    for key, value in own.items():
        if key == "Environment":
            variables = {**merged.get("Environment", {}).get("Variables", {}), **value.get("Variables", {})}
            merged["Environment"] = {"Variables": variables}
        elif key == "Layers":
            merged["Layers"] = [*merged.get("Layers", []), *value]
        else:
            merged[key] = value
    return merged


# --- cfn-lint ------------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing() -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(cfn.TEMPLATE.read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


# --- routes --------------------------------------------------------------------------------------


def template_routes(template: dict[str, Any], method: str | None = None) -> set[tuple[str, str, str, bool]]:
    """(method, path, function, public) of every API event; OPTIONS (preflights) only if asked."""
    found = set()
    for name, body in of_type(template, "AWS::Serverless::Function").items():
        for event in body["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            assert props["RestApiId"] == {"Ref": "DogcareApi"}, f"{name}: every route is on the one API"
            public = props.get("Auth", {}).get("Authorizer") == "NONE"
            event_method = props["Method"].upper()
            if (method is None and event_method != "OPTIONS") or event_method == method:
                found.add((event_method, props["Path"], name, public))
    return found


def test_every_route_is_served_by_its_function_and_nothing_else(template: dict[str, Any]) -> None:
    served = {(r.method, r.path, r.function, r.public) for r in routes()}
    deployed_routes = template_routes(template)
    assert deployed_routes - served == set(), "routes in the template that no function serves"
    assert served - deployed_routes == set(), "routes the functions serve that the template lacks"


def test_only_the_public_routes_skip_the_authorizer(template: dict[str, Any]) -> None:
    api = template["Resources"]["DogcareApi"]["Properties"]
    auth = api["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["FunctionPayloadType"] == "REQUEST"
    assert authorizer["FunctionArn"] == {"Fn::GetAtt": [AUTHORIZER_FUNCTION[0], "Arn"]}
    assert authorizer["Identity"]["Headers"] == ["Authorization"]
    assert 0 < authorizer["Identity"]["ReauthorizeEvery"] <= 3600
    assert auth["AddDefaultAuthorizerToCorsPreflight"] is False
    public = {(m, p) for m, p, _, is_public in template_routes(template) if is_public}
    assert public == {(r.method, r.path) for r in routes() if r.public}


def test_preflights_are_answered_by_the_gateway_as_dogcare_serve_answers_them(template: dict[str, Any]) -> None:
    """API Gateway answers every path's OPTIONS with a mock integration (the API's ``Cors``): no
    function event serves OPTIONS, so a preflight costs no invocation. Its headers are the ones
    the local gateway sends (``preflight_headers``), for the first origin the functions allow: the
    web app's CloudFront origin, whatever the stage lists besides it."""
    from handlers.common.resolver import ALLOWED_HEADERS, PREFLIGHT_MAX_AGE

    assert template_routes(template, "OPTIONS") == set(), "a preflight would invoke a function"
    api = template["Resources"]["DogcareApi"]["Properties"]
    assert api["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False  # browsers send no token
    for origins in ("https://app.example.com", "https://app.example.com,https://staff.example.com"):
        ev = deployed(template, CorsAllowedOrigins=origins)
        cors = ev.value(api["Cors"])
        # No AllowMethods: SAM lists each path's own methods (and OPTIONS), as the local gateway.
        assert set(cors) == {"AllowHeaders", "AllowOrigin", "MaxAge", "AllowCredentials"}
        assert cors["AllowHeaders"] == "'" + ",".join(ALLOWED_HEADERS) + "'"
        assert cors["AllowOrigin"] == "'https://getatt:WebDistribution.DomainName'"
        assert cors["MaxAge"] == f"'{PREFLIGHT_MAX_AGE}'"
        assert cors["AllowCredentials"] is False


def test_the_local_gateway_answers_preflights_without_a_function(lambda_env: Any) -> None:
    from dogcare.local.gateway import LocalGateway
    from handlers.common.resolver import preflight_headers

    gateway = LocalGateway(containers_per_function=1)
    for path in sorted({r.path for r in routes()}):
        concrete = re.sub(r"\{\w+\}", "x-1", path)
        answer = gateway.invoke("OPTIONS", concrete, {"Origin": "https://staff.example.com"})
        assert answer.status == 200, (path, answer.body)
        methods = {r.method for r in routes() if r.path == path}
        expected = preflight_headers(methods)
        assert {k: v for k, v in answer.headers.items() if k.startswith("Access-Control-")} == expected, path
        assert expected["Access-Control-Allow-Origin"] == "https://app.example.com"  # the first
        assert set(expected["Access-Control-Allow-Methods"].split(",")) == methods | {"OPTIONS"}
    assert all(pool._made == 0 for pool in gateway.pools.values()), "a preflight started a function"
    assert gateway.invoke("OPTIONS", "/no/such/path", {}).status == 404


# --- tables --------------------------------------------------------------------------------------


def template_tables(ev: cfn.Evaluated) -> dict[str, dict[str, Any]]:
    """The deployed tables, in the shape of ``table_definitions``."""
    tables = {}
    for name, body in ev.resources().items():
        if body["Type"] != "AWS::DynamoDB::Table":
            continue
        p = ev.properties(name)
        request: dict[str, Any] = {
            "TableName": p["TableName"],
            "AttributeDefinitions": sorted(p["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            "KeySchema": sorted(p["KeySchema"], key=lambda k: k["KeyType"]),
            "BillingMode": p["BillingMode"],
        }
        ttl = p.get("TimeToLiveSpecification", {})
        if ttl.get("Enabled") is True:
            request["TimeToLiveAttribute"] = ttl["AttributeName"]
        if p.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = sorted(
                (
                    {
                        "IndexName": g["IndexName"],
                        "KeySchema": sorted(g["KeySchema"], key=lambda k: k["KeyType"]),
                        "Projection": g["Projection"],
                    }
                    for g in p["GlobalSecondaryIndexes"]
                ),
                key=lambda g: g["IndexName"],
            )
        tables[p["TableName"]] = request
    return tables


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tables_are_the_models_tables(template: dict[str, Any], layout: str) -> None:
    expected = table_definitions(Store(Settings(table_layout=layout, table_prefix=PREFIX)))  # type: ignore[arg-type]
    assert template_tables(deployed(template, TableLayout=layout)) == expected


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_tables_are_recoverable_and_protected_in_prod(template: dict[str, Any], stage: str) -> None:
    for layout in LAYOUTS:
        ev = deployed(template, TableLayout=layout, Stage=stage)
        for name, body in ev.resources().items():
            if body["Type"] != "AWS::DynamoDB::Table":
                continue
            p = ev.properties(name)
            assert p["TableName"].startswith(f"dogcare-{stage}-")
            assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
            assert p["DeletionProtectionEnabled"] is (stage == "prod"), name


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_prod_tables_outlive_their_stack(template: dict[str, Any], stage: str) -> None:
    """Deleting (or replacing) the prod stack keeps its data; other stages clean up after
    themselves. The stage-dependent DeletionPolicy needs the LanguageExtensions transform."""
    assert "AWS::LanguageExtensions" in template["Transform"]
    assert template["Transform"].index("AWS::LanguageExtensions") < template["Transform"].index(
        "AWS::Serverless-2016-10-31"
    )
    for layout in LAYOUTS:
        ev = deployed(template, TableLayout=layout, Stage=stage)
        tables = [n for n, b in ev.resources().items() if b["Type"] == "AWS::DynamoDB::Table"]
        assert tables
        for name in tables:
            body = ev.resources()[name]
            assert ev.value(body["DeletionPolicy"]) == ("Retain" if stage == "prod" else "Delete"), name
            assert ev.value(body["UpdateReplacePolicy"]) == "Retain", name


def test_every_function_runs_under_its_stage_s_concurrency_cap(template: dict[str, Any]) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    caps = {}
    for env in ("default", "staging", "prod"):
        line = config[env]["deploy"]["parameters"]["parameter_overrides"]
        overrides = dict(item.split("=", 1) for item in line.split())
        caps[env] = int(overrides["ReservedConcurrency"])  # every stage sets its own
        ev = deployed(template, **overrides)
        for function in ALL_FUNCTIONS:
            assert function_properties(ev, function)["ReservedConcurrentExecutions"] == str(caps[env]), function
    assert caps["default"] <= caps["staging"] <= caps["prod"]
    assert all(cap > 0 for cap in caps.values())
    # 0 reserves nothing (an account whose quota cannot spare any): the property is left out.
    ev = deployed(template, ReservedConcurrency="0")
    assert all("ReservedConcurrentExecutions" not in function_properties(ev, f) for f in ALL_FUNCTIONS)


# --- permissions ---------------------------------------------------------------------------------

Grants = dict[tuple[str, str | None], set[str]]  # (table, index or None) -> IAM actions


def expected_grants(function: str, layout: str) -> Grants:
    tables = TableLayout(layout, PREFIX)  # type: ignore[arg-type]
    grants: Grants = defaultdict(set)
    for logical, access in PERMISSIONS.get(function, {}).items():
        table = tables.table_name(logical)
        if access.actions:
            grants[(table, None)] |= set(access.actions)
        indexes = {spec.name for spec in tables.indexes_of(logical)}
        for index in access.query_indexes:
            assert index in indexes, f"{function} queries {index}, which {logical} lacks in the {layout} layout"
            grants[(table, index)].add("dynamodb:Query")
    return dict(grants)


_TABLE_ARN = re.compile(
    r"^arn:aws:dynamodb:us-east-1:123456789012:table/([A-Za-z0-9._-]+)(?:/index/([A-Za-z0-9._-]+))?$"
)


def role_statements(ev: cfn.Evaluated, function: str) -> list[dict[str, Any]]:
    role = function_properties(ev, function)["Role"]
    match = re.fullmatch(r"getatt:(\w+)\.Arn", role)
    assert match, f"{function} uses a role of its own, defined in the template"
    body = ev.properties(match.group(1))
    assert "ManagedPolicyArns" not in body, f"{function}: managed policies are not least privilege"
    statements = []
    for policy in body["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            condition = statement.get("Condition")
            statements.append({"actions": set(actions), "resources": resources, "condition": condition})
    return statements


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("function", sorted(ALL_FUNCTIONS))
def test_each_role_allows_exactly_what_its_function_does(template: dict[str, Any], layout: str, function: str) -> None:
    ev = deployed(template, TableLayout=layout)
    granted: Grants = defaultdict(set)
    secrets: set[str] = set()
    logs: set[str] = set()
    for statement in role_statements(ev, function):
        actions, resources = statement["actions"], statement["resources"]
        assert not any("*" in action for action in actions), f"{function}: wildcard action {actions}"
        if "*" in resources:
            assert resources == ["*"], f"{function}: '*' mixed with other resources"
            assert actions == XRAY_ACTIONS, f"{function}: '*' only for X-Ray, got {actions}"
            continue
        services = {action.split(":")[0] for action in actions}
        assert len(services) == 1, f"{function}: one service per statement, got {services}"
        service = services.pop()
        for resource in resources:
            if service == "dynamodb":
                match = _TABLE_ARN.match(resource)
                assert match, f"{function}: not a table or index ARN: {resource}"
                granted[(match.group(1), match.group(2))] |= actions
            elif service == "secretsmanager":
                assert actions == {"secretsmanager:GetSecretValue"}
                secrets.add(resource.removeprefix("ref:"))
            elif service == "logs":
                assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
                logs.add(resource)
            else:
                raise AssertionError(f"{function}: unexpected {service} statement {actions}")
    assert dict(granted) == expected_grants(function, layout)
    assert secrets == set(SECRETS.get(function, ()))
    # Logs go only to the function's own log group, which is named after the function.
    name = function_properties(ev, function)["FunctionName"]
    groups = {
        f"getatt:{group}.Arn"
        for group, body in ev.resources().items()
        if body["Type"] == "AWS::Logs::LogGroup" and ev.properties(group)["LogGroupName"] == f"/aws/lambda/{name}"
    }
    assert len(groups) == 1
    assert logs == groups


def expected_key_patterns(function: str, layout: str) -> dict[tuple[str, str | None], set[str]]:
    """(table, index) -> the partition key patterns the registry derives for ``function``."""
    tables = TableLayout(layout, PREFIX)  # type: ignore[arg-type]
    patterns: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for logical, access in PERMISSIONS.get(function, {}).items():
        table = tables.table_name(logical)
        patterns[(table, None)] |= set(access.keys)
        for index in access.query_indexes:
            patterns[(table, index)] |= set(access.index_keys)
    return dict(patterns)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_role_reaches_only_the_partition_keys_its_function_uses(
    template: dict[str, Any], layout: str, function: str
) -> None:
    """Every DynamoDB statement is conditioned on ``dynamodb:LeadingKeys`` (the partition key of
    each item a request names, or of the index partition a Query reads), with exactly the
    patterns ``handlers.registry.PERMISSIONS`` derives from the key templates."""
    ev = deployed(template, TableLayout=layout)
    found: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for statement in role_statements(ev, function):
        if not all(action.startswith("dynamodb:") for action in statement["actions"]):
            continue
        condition = statement["condition"]
        assert condition is not None, f"{function}: a DynamoDB statement without a key condition"
        # ForAllValues: every key the request names must match; StringLike: * patterns. (A
        # ForAnyValue condition would let one matching key carry others along.)
        assert set(condition) == {"ForAllValues:StringLike"}, condition
        assert set(condition["ForAllValues:StringLike"]) == {"dynamodb:LeadingKeys"}, condition
        patterns = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert patterns and all(isinstance(p, str) and p.strip("*") for p in patterns), patterns
        for resource in statement["resources"]:
            match = _TABLE_ARN.match(resource)
            assert match, resource
            where = (match.group(1), match.group(2))
            assert where not in found, f"{function}: two statements for {where}"
            found[where] = set(patterns)
    assert dict(found) == expected_key_patterns(function, layout)


def test_no_role_can_read_a_table_without_naming_keys() -> None:
    """``ForAllValues`` is true for a request that names no key at all (Scan, a Query without
    the key condition is impossible): so no role may hold Scan, or anything but item and query
    actions, on a table."""
    item_actions = {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",
    }
    for function, tables in PERMISSIONS.items():
        for logical, access in tables.items():
            assert access.actions <= item_actions, (function, logical, access.actions - item_actions)
            assert access.keys, (function, logical)
            assert bool(access.query_indexes) == bool(access.index_keys), (function, logical)


def test_the_declared_permissions_name_real_tables_and_functions() -> None:
    assert set(PERMISSIONS) == set(FUNCTIONS) | set(SCHEDULED_FUNCTIONS)
    for function, tables in PERMISSIONS.items():
        assert set(tables) <= set(LOGICAL_TABLES), function
        if function in FUNCTIONS:
            # Every API function counts its callers' requests in the owners table.
            assert "dynamodb:UpdateItem" in tables["owners"].actions, function
    assert set(SECRETS) <= set(FUNCTIONS)


# --- references ----------------------------------------------------------------------------------


def test_every_reference_resolves(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    known = set(template["Parameters"]) | set(resources) | set(cfn.PSEUDO) | {cfn.NO_VALUE}
    conditions = set(template["Conditions"])

    def check_name(name: str, where: str) -> None:
        if name in known:
            return
        base, _, suffix = name.partition(".")
        if base in resources and suffix:
            kind = resources[base]["Type"]
            if suffix in cfn.SAM_REF_SUFFIXES.get(kind, set()) or where == "GetAtt":
                return
        raise AssertionError(f"{where} {name!r} is neither a parameter, a resource nor a pseudo parameter")

    for node in cfn.walk(template):
        found = cfn.intrinsic(node)
        if found is None:
            continue
        key, argument = found
        if key == "Ref":
            check_name(argument, "Ref")
        elif key == "Fn::GetAtt":
            assert argument[0] in resources, f"GetAtt of unknown resource {argument[0]!r}"
        elif key == "Fn::Sub":
            text, local = cfn.sub_parts(argument)
            for variable in cfn.sub_variables(text):
                if variable not in local:
                    check_name(variable, "GetAtt" if "." in variable else "Sub")
        elif key == "Fn::If":
            assert argument[0] in conditions, f"unknown condition {argument[0]!r}"
        elif key == "Condition":
            assert argument in conditions, f"unknown condition {argument!r}"
    for name, body in resources.items():
        if "Condition" in body:
            assert body["Condition"] in conditions, f"{name}: unknown condition"
        for dependency in [body["DependsOn"]] if isinstance(body.get("DependsOn"), str) else body.get("DependsOn", []):
            assert dependency in resources, f"{name} depends on unknown {dependency!r}"


# --- functions -----------------------------------------------------------------------------------


def test_the_functions_are_the_code_s_functions(template: dict[str, Any]) -> None:
    ev = deployed(template)
    assert set(of_type(template, "AWS::Serverless::Function")) == set(ALL_FUNCTIONS)
    for function, module in ALL_FUNCTIONS.items():
        p = function_properties(ev, function)
        assert p["Handler"] == f"{module}.lambda_handler"
        assert callable(importlib.import_module(module).lambda_handler)
        assert p["Runtime"] == "python3.11"
        assert p["MemorySize"] == 512
        assert 1 <= p["Timeout"] <= MAX_TIMEOUT, f"{function}: a request may not outlive API Gateway's 29 s"
        assert p["Tracing"] == "Active"
        assert p["FunctionName"] == f"dogcare-dev-{function.removesuffix('Function').lower()}"
        assert p["Layers"] == ["ref:DependenciesLayer"]
        metadata = template["Resources"][function]["Metadata"]
        assert metadata["BuildMethod"] == "makefile"
        assert metadata["ContextPath"] == "deploy"
    makefile = (ROOT / "deploy" / "Makefile").read_text(encoding="utf-8")
    for name in [*ALL_FUNCTIONS, "DependenciesLayer"]:
        assert name in makefile, f"deploy/Makefile has no build-{name} target"


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_the_xray_sdk_records_subsegments_in_prod_and_lambda_s_own_segments_elsewhere(
    template: dict[str, Any], stage: str
) -> None:
    """Every stage traces (Tracing: Active: Lambda's segments); only prod also loads the X-Ray SDK
    for the DynamoDB and Secrets Manager subsegments, whose cost each cold start pays (docs/operations.md)."""
    ev = deployed(template, Stage=stage)
    for function in ALL_FUNCTIONS:
        p = function_properties(ev, function)
        assert p["Tracing"] == "Active"
        disabled = p["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]
        assert disabled == ("false" if stage == "prod" else "true"), function


def test_every_function_logs_to_a_group_with_retention(template: dict[str, Any]) -> None:
    ev = deployed(template)
    groups = {
        ev.properties(name)["LogGroupName"]: ev.properties(name) for name in of_type(template, "AWS::Logs::LogGroup")
    }
    for function in ALL_FUNCTIONS:
        group = groups[f"/aws/lambda/{function_properties(ev, function)['FunctionName']}"]
        assert int(group["RetentionInDays"]) > 0
    access_log = ev.properties("DogcareApi")["AccessLogSetting"]["DestinationArn"]
    assert access_log == "getatt:ApiAccessLogGroup.Arn"
    assert int(ev.properties("ApiAccessLogGroup")["RetentionInDays"]) > 0


def settings_names() -> set[str]:
    return set(re.findall(r'"(DOGCARE_[A-Z_]+)"', inspect.getsource(Settings.from_env)))


# In AWS these must be set: there is no local state folder, no local issuer and no fake Stripe.
REQUIRED_EVERYWHERE = {"DOGCARE_TABLE_LAYOUT", "DOGCARE_TABLE_PREFIX"}
REQUIRED_FOR_API = {
    "DOGCARE_CORS_ORIGINS",
    "DOGCARE_RATE_LIMIT_PER_MINUTE",
    "DOGCARE_TIMEZONE",
}
REQUIRED = {
    AUTHORIZER_FUNCTION[0]: {
        "DOGCARE_AUTH_ISSUER",
        "DOGCARE_AUTH_AUDIENCE",
        "DOGCARE_AUTH_JWKS_URL",
        "DOGCARE_AUTH_TOKEN_USE",
    },
    # the functions that call Stripe
    **{function: {"DOGCARE_STRIPE_SECRET_NAME"} for function in SECRETS},
}
# The owner routes verify the ID token in X-Id-Token (without these they would fail closed).
REQUIRED.setdefault("OwnersFunction", set()).update(
    {"DOGCARE_AUTH_ISSUER", "DOGCARE_AUTH_AUDIENCE", "DOGCARE_AUTH_JWKS_URL", "DOGCARE_AUTH_CLIENT_ID"}
)
# Local-only settings, or secrets that must come from Secrets Manager rather than plain text.
FORBIDDEN = {
    "DOGCARE_DYNAMODB_ENDPOINT",
    "DOGCARE_STRIPE_SECRET_KEY",
    "DOGCARE_STRIPE_WEBHOOK_SECRET",
    "DOGCARE_STRIPE_API_BASE",
}


def paginating_functions() -> set[str]:
    """The functions with a route that takes a ``cursor`` (per the generated OpenAPI document)."""
    spec = json.loads((cfn.ROOT / "docs" / "openapi.json").read_text())
    paged = set()
    for route in routes():
        operation = spec["paths"][route.path][route.method.lower()]
        if any(p.get("name") == "cursor" and p.get("in") == "query" for p in operation.get("parameters", [])):
            paged.add(route.function)
    return paged


def test_only_the_functions_that_page_hold_the_cursor_key(template: dict[str, Any]) -> None:
    ev = deployed(template)
    paged = paginating_functions()
    assert paged, "no route takes a cursor?"
    holders = {
        function
        for function in ALL_FUNCTIONS
        if "DOGCARE_CURSOR_SECRET" in function_properties(ev, function)["Environment"]["Variables"]
    }
    assert holders == paged


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_functions_get_every_setting_they_need(
    template: dict[str, Any], layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    readable = settings_names()
    assert {"DOGCARE_TABLE_LAYOUT", "DOGCARE_CURSOR_SECRET", "DOGCARE_STRIPE_SECRET_NAME"} <= readable
    ev = deployed(template, TableLayout=layout)
    services = set()
    for function in ALL_FUNCTIONS:
        variables = {k: str(v) for k, v in function_properties(ev, function)["Environment"]["Variables"].items()}
        ours = {name for name in variables if name.startswith("DOGCARE_")}
        assert ours <= readable, f"{function}: set but never read: {sorted(ours - readable)}"
        needed = REQUIRED_EVERYWHERE | REQUIRED.get(function, set())
        if function in FUNCTIONS:
            needed |= REQUIRED_FOR_API
        assert needed <= ours, f"{function} lacks {sorted(needed - ours)}"
        assert not ours & FORBIDDEN, f"{function} sets {sorted(ours & FORBIDDEN)}"
        if function not in SECRETS:
            assert "DOGCARE_STRIPE_SECRET_NAME" not in ours
        else:
            assert variables["DOGCARE_STRIPE_SECRET_NAME"] == "ref:StripeSecret"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"]
        assert variables["POWERTOOLS_LOG_LEVEL"]
        services.add(variables["POWERTOOLS_SERVICE_NAME"])
        if "DOGCARE_CURSOR_SECRET" in variables:
            assert variables["DOGCARE_CURSOR_SECRET"] == "{{resolve:secretsmanager:ref:CursorSecret:SecretString:key}}"
        for name in list(os.environ):
            if name.startswith("DOGCARE_"):
                monkeypatch.delenv(name)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        settings = Settings.from_env()  # the values parse
        assert settings.table_layout == layout
        assert settings.table_prefix == PREFIX
        web_app = "https://getatt:WebDistribution.DomainName"  # the web app's CloudFront origin, first
        assert settings.cors_origins == (web_app, *ev.parameters["CorsAllowedOrigins"].split(","))
    assert len(services) == len(ALL_FUNCTIONS), "each function has its own service name"


def test_the_authorizer_trusts_the_user_pool(template: dict[str, Any]) -> None:
    ev = deployed(template)
    variables = function_properties(ev, AUTHORIZER_FUNCTION[0])["Environment"]["Variables"]
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/ref:UserPool"
    assert variables["DOGCARE_AUTH_ISSUER"] == issuer
    assert variables["DOGCARE_AUTH_JWKS_URL"] == f"{issuer}/.well-known/jwks.json"
    assert variables["DOGCARE_AUTH_AUDIENCE"] == "ref:UserPoolClient"
    assert variables["DOGCARE_AUTH_TOKEN_USE"] == "access"
    # The owner function checks ID tokens of the same pool, for the same app client.
    owners = function_properties(ev, "OwnersFunction")["Environment"]["Variables"]
    assert owners["DOGCARE_AUTH_ISSUER"] == issuer
    assert owners["DOGCARE_AUTH_JWKS_URL"] == f"{issuer}/.well-known/jwks.json"
    assert owners["DOGCARE_AUTH_AUDIENCE"] == owners["DOGCARE_AUTH_CLIENT_ID"] == "ref:UserPoolClient"
    group = ev.properties("AdminGroup")
    from dogcare.auth.identity import ADMIN_GROUP

    assert group["GroupName"] == ADMIN_GROUP
    assert group["UserPoolId"] == "ref:UserPool"


# --- the gateway's own answers -------------------------------------------------------------------


def _fill_context(text: str) -> str:
    text = text.replace("$context.error.messageString", '"a message"')
    return re.sub(r"\$context\.[A-Za-z.]+", "1", text)


def test_gateway_errors_are_problem_documents(template: dict[str, Any]) -> None:
    responses = template["Resources"]["DogcareApi"]["Properties"]["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Content-Type"] == "'application/problem+json'", kind
        assert "Access-Control-Allow-Origin" in headers, kind
        document = json.loads(_fill_context(response["ResponseTemplates"]["application/json"]))
        assert {"type", "title", "status", "detail"} <= set(document), kind
        if "StatusCode" in response:
            assert document["status"] == response["StatusCode"], kind
        else:
            assert kind == "DEFAULT_5XX"
            assert document["status"] == 500
    assert responses["UNAUTHORIZED"]["StatusCode"] == 401
    assert responses["THROTTLED"]["StatusCode"] == 429


def test_access_log_lines_are_json_with_the_request_id(template: dict[str, Any]) -> None:
    api = template["Resources"]["DogcareApi"]["Properties"]
    line = json.loads(_fill_context(api["AccessLogSetting"]["Format"]))
    assert {"requestId", "status", "resourcePath", "responseLatency", "principalId"} <= set(line)
    assert api["TracingEnabled"] is True
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}


# --- monitoring ----------------------------------------------------------------------------------

BUSINESS = {"BookingsCreated", "PaymentsStarted", "WebhooksProcessed", "BookingsCancelled"}


def emitted_metrics() -> dict[str, str]:
    """Business metric -> the function whose handler emits it (``count("...")`` in its module)."""
    found = {}
    for function, module in {**FUNCTIONS, **SCHEDULED_FUNCTIONS}.items():
        source = inspect.getsource(importlib.import_module(module))
        for name in re.findall(r'\bcount\("(\w+)"', source):
            found[name] = function
    return found


def test_the_dashboard_shows_the_metrics_the_handlers_emit(template: dict[str, Any]) -> None:
    ev = deployed(template)
    body = json.loads(ev.properties("Dashboard")["DashboardBody"])
    namespace = function_properties(ev, "BookingsFunction")["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    emitted = emitted_metrics()
    shown = set()
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if metric[0] != namespace:
                continue
            name, dimension, service = metric[1:4]
            function = emitted.get(name)
            assert function, f"the dashboard shows {name}, which no handler emits"
            variables = function_properties(ev, function)["Environment"]["Variables"]
            assert (dimension, service) == ("service", variables["POWERTOOLS_SERVICE_NAME"]), name
            shown.add(name)
    assert shown >= BUSINESS


def test_the_sweeper_runs_every_minute_without_the_api(template: dict[str, Any]) -> None:
    ev = deployed(template)
    events = ev.properties("SweeperFunction")["Events"]
    assert [(e["Type"], e["Properties"]["Schedule"]) for e in events.values()] == [("Schedule", "rate(1 minute)")]
    assert all(e["Properties"].get("Enabled", True) is True for e in events.values())


def test_a_price_mismatch_raises_an_alarm(template: dict[str, Any]) -> None:
    ev = deployed(template)
    alarm = ev.properties("PaymentAmountMismatchAlarm")
    assert alarm["MetricName"] == "PaymentAmountMismatch"
    assert emitted_metrics()["PaymentAmountMismatch"] == "PaymentsFunction"
    variables = function_properties(ev, "PaymentsFunction")["Environment"]["Variables"]
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_alarms_notify_the_topic(template: dict[str, Any]) -> None:
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert {"Api5xxRateAlarm", "ApiLatencyP99Alarm", "LambdaThrottlesAlarm", "DynamoDbThrottlesAlarm"} <= set(alarms)
    for name, body in alarms.items():
        assert body["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    for layout in LAYOUTS:
        ev = deployed(template, TableLayout=layout)
        tables = set(TableLayout(layout, PREFIX).tables())  # type: ignore[arg-type]
        watched = {
            m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
            for m in ev.properties("DynamoDbThrottlesAlarm")["Metrics"]
            if "MetricStat" in m
        }
        assert watched == tables
    functions = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for m in deployed(template).properties("LambdaThrottlesAlarm")["Metrics"]
        if "MetricStat" in m
    }
    assert functions == {f"ref:{name}" for name in ALL_FUNCTIONS}


def test_budgets_warn_and_limit(template: dict[str, Any]) -> None:
    ev = deployed(template)
    amounts = sorted(
        float(ev.properties(name)["Budget"]["BudgetLimit"]["Amount"])
        for name in of_type(template, "AWS::Budgets::Budget")
    )
    assert amounts == [50.0, 100.0]


# --- samconfig -----------------------------------------------------------------------------------


def test_samconfig_deploys_each_stage_with_valid_parameters(template: dict[str, Any]) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    parameters = template["Parameters"]
    for env, stage in (("default", "dev"), ("staging", "staging"), ("prod", "prod")):
        deploy = config[env]["deploy"]["parameters"]
        overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"].split())
        assert overrides["Stage"] == stage
        assert config[env]["global"]["parameters"]["stack_name"] == f"dogcare-{stage}"
        assert config[env]["build"]["parameters"]["build_in_source"] is True
        for name, value in overrides.items():
            assert name in parameters, f"{env}: {name} is not a parameter"
            allowed = parameters[name].get("AllowedValues")
            if allowed is not None:
                assert value in [str(v) for v in allowed], f"{env}: {name}={value}"
            pattern = parameters[name].get("AllowedPattern")
            if pattern is not None:
                assert re.fullmatch(pattern, value), f"{env}: {name}={value}"
        deployed(template, **overrides)  # evaluates


def test_the_sam_build_output_is_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".aws-sam/" in ignored
    assert ".tools/" in ignored
    assert Path(ROOT / "deploy" / "Makefile").is_file()
