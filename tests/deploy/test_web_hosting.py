"""The web app's hosting in template.yaml, and deploy/web_config.py:

- a private, encrypted bucket readable only by this stage's distribution, only over TLS;
- CloudFront: origin access control, HTTPS only, the routing function (run here with Node,
  CloudFront's JavaScript), security headers and a Content-Security-Policy naming only this
  origin, the API, Cognito and Stripe;
- Cognito: managed login on a user-pool domain, the app client's code flow, scopes,
  callback and logout URLs on the distribution, no secret;
- the functions' CORS origins include the distribution's; the outputs web_config.py reads exist;
- web_config.py writes the config ``dogcare serve`` generates, in Stripe mode, and refuses bad input.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import cfn

ROOT = cfn.ROOT
DISTRIBUTION_DOMAIN = "https://getatt:WebDistribution.DomainName"
OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
    "AuthIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1",
    "UserPoolClientId": "4v0client0id",
    "WebOrigin": "https://d111111abcdef8.cloudfront.net",
    "WebUrl": "https://d111111abcdef8.cloudfront.net/app/",
    "WebBucketName": "dogcare-dev-webbucket-1a2b3c",
    "WebDistributionId": "E2QWRUHEXAMPLE",
    "CognitoDomainUrl": "https://dogcare-dev-123456789012.auth.us-east-1.amazoncognito.com",
    "FacilityTimezone": "America/Chicago",
}


@pytest.fixture(scope="module")
def ev() -> cfn.Evaluated:
    return cfn.Evaluated(cfn.load())


def test_the_bucket_is_private_encrypted_and_tls_only(ev: cfn.Evaluated) -> None:
    bucket = ev.properties("WebBucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # no ACLs
    assert "WebsiteConfiguration" not in bucket  # never a public website endpoint

    policy = ev.properties("WebBucketPolicy")
    assert policy["Bucket"] == "ref:WebBucket"
    statements = policy["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"
    assert set(deny["Resource"]) == {"getatt:WebBucket.Arn", "getatt:WebBucket.Arn/*"}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]  # the only reader
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == "getatt:WebBucket.Arn/app/*"
    assert allow["Condition"] == {
        "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/ref:WebDistribution"}
    }


def test_cloudfront_reads_the_bucket_with_origin_access_control_over_https(ev: cfn.Evaluated) -> None:
    config = ev.properties("WebDistribution")["DistributionConfig"]
    assert config["Enabled"] is True
    (origin,) = config["Origins"]
    assert origin["DomainName"] == "getatt:WebBucket.RegionalDomainName"
    assert origin["OriginAccessControlId"] == "getatt:WebOriginAccessControl.Id"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy identity
    oac = ev.properties("WebOriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] in ("redirect-to-https", "https-only")
        assert behavior["TargetOriginId"] == origin["Id"]
        assert set(behavior["AllowedMethods"]) == {"GET", "HEAD"}
        assert behavior["ResponseHeadersPolicyId"] == "ref:WebResponseHeadersPolicy"
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association == {
        "EventType": "viewer-request",
        "FunctionARN": "getatt:WebRoutingFunction.FunctionMetadata.FunctionARN",
    }


def _route(code: str, uri: str) -> dict[str, Any]:
    """Run the CloudFront Function's handler on a viewer request for ``uri`` (Node runs it)."""
    harness = code + f"\nprocess.stdout.write(JSON.stringify(handler({{request: {{uri: {json.dumps(uri)}}}}})));\n"
    done = subprocess.run(["node", "-e", harness], capture_output=True, text=True, timeout=30, check=True)
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("uri", "rewritten"),
    [
        ("/app/", "/app/index.html"),
        ("/app/bookings/booking-123", "/app/index.html"),
        ("/app/callback", "/app/index.html"),
        ("/app/assets/index-4f2a9c1b.js", "/app/assets/index-4f2a9c1b.js"),
        ("/app/config.json", "/app/config.json"),
        ("/app/silent-renew.html", "/app/silent-renew.html"),
        ("/elsewhere", "/elsewhere"),
    ],
)
def test_the_routing_function_does_history_routing_like_dogcare_serve(
    ev: cfn.Evaluated, uri: str, rewritten: str
) -> None:
    function = ev.properties("WebRoutingFunction")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True
    assert shutil.which("node"), "Node.js runs CloudFront's JavaScript here"
    assert _route(function["FunctionCode"], uri) == {"uri": rewritten}


@pytest.mark.parametrize("uri", ["/", "/app"])
def test_the_routing_function_redirects_the_root_to_the_app(ev: cfn.Evaluated, uri: str) -> None:
    answer = _route(ev.properties("WebRoutingFunction")["FunctionCode"], uri)
    assert answer["statusCode"] == 302
    assert answer["headers"]["location"]["value"] == "/app/"


def _csp(ev: cfn.Evaluated) -> dict[str, list[str]]:
    config = ev.properties("WebResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives: dict[str, list[str]] = {}
    for part in text.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_security_headers_are_set_on_every_answer(ev: cfn.Evaluated) -> None:
    headers = ev.properties("WebResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000
    assert hsts["Override"] is True
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] in ("strict-origin-when-cross-origin", "no-referrer")
    assert headers["ContentSecurityPolicy"]["Override"] is True


def test_the_content_security_policy_allows_only_the_app_s_parties(ev: cfn.Evaluated) -> None:
    csp = _csp(ev)
    cognito = "https://ref:UserPoolDomain.auth.us-east-1.amazoncognito.com"
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert csp["connect-src"] == [
        "'self'",
        "https://*.execute-api.us-east-1.amazonaws.com",
        cognito,
        "https://cognito-idp.us-east-1.amazonaws.com",
        "https://api.stripe.com",
    ]
    assert set(csp["frame-src"]) <= {
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
        "https://*.stripe.com",
    }
    assert "https://*.stripe.com" in csp["frame-src"]
    assert csp["form-action"] == ["'self'", cognito]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    every = [source for sources in csp.values() for source in sources]
    assert "*" not in every
    assert not [s for s in every if s in ("'unsafe-eval'", "'unsafe-inline'", "http:", "https:")]


def test_cognito_signs_the_web_app_in_with_the_code_flow(ev: cfn.Evaluated) -> None:
    domain = ev.properties("UserPoolDomain")
    assert domain["UserPoolId"] == "ref:UserPool"
    assert domain["Domain"] == "dogcare-dev-123456789012"
    client = ev.properties("UserPoolClient")
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == [
        f"{DISTRIBUTION_DOMAIN}/app/callback",
        f"{DISTRIBUTION_DOMAIN}/app/silent-renew.html",
    ]
    assert client["LogoutURLs"] == [f"{DISTRIBUTION_DOMAIN}/app/"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    branding = ev.properties("UserPoolClientLoginBranding")
    assert (branding["UserPoolId"], branding["ClientId"]) == ("ref:UserPool", "ref:UserPoolClient")


def test_the_api_allows_the_web_app_s_origin(ev: cfn.Evaluated) -> None:
    origins = ev.value(ev.template["Globals"]["Function"]["Environment"]["Variables"]["DOGCARE_CORS_ORIGINS"])
    assert origins.split(",")[0] == DISTRIBUTION_DOMAIN
    responses = ev.properties("DogcareApi")["GatewayResponses"]
    assert responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == (
        f"'{DISTRIBUTION_DOMAIN}'"
    )


def test_the_outputs_web_config_reads_exist(ev: cfn.Evaluated) -> None:
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import web_config
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    outputs = ev.template["Outputs"]
    needed = {*web_config.REQUIRED_OUTPUTS, "WebBucketName", "WebDistributionId", "WebUrl"}
    assert needed <= set(outputs)
    assert ev.value(outputs["WebOrigin"]["Value"]) == DISTRIBUTION_DOMAIN
    assert ev.value(outputs["CognitoDomainUrl"]["Value"]) == (
        "https://ref:UserPoolDomain.auth.us-east-1.amazoncognito.com"
    )
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for name in ("WebBucketName", "WebDistributionId", "WebUrl"):
        assert f"--get {name}" in makefile


# --- deploy/web_config.py -------------------------------------------------------------------------


def run_config(tmp_path: Path, outputs: Any, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "web_config.py"), str(path), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def described(outputs: dict[str, str]) -> list[dict[str, str]]:
    return [{"OutputKey": k, "OutputValue": v, "Description": "x"} for k, v in outputs.items()]


def test_web_config_writes_the_served_config_in_stripe_mode(tmp_path: Path) -> None:
    target = tmp_path / "dist" / "config.json"
    done = run_config(tmp_path, described(OUTPUTS), "--publishable-key", "pk_live_51Abc", "--output", str(target))
    assert done.returncode == 0, done.stderr
    config = json.loads(target.read_text(encoding="utf-8"))
    assert config == {
        "apiBaseUrl": OUTPUTS["ApiUrl"],
        "oidc": {
            "authority": OUTPUTS["AuthIssuer"],
            "clientId": OUTPUTS["UserPoolClientId"],
            "redirectPath": "/app/callback",
            "silentRedirectPath": "/app/silent-renew.html",
            "postLogoutPath": "/app/",
            "scope": "openid email profile",
            "endSessionEndpoint": f"{OUTPUTS['CognitoDomainUrl']}/logout",
        },
        "payments": {"mode": "stripe", "publishableKey": "pk_live_51Abc", "stripeApiBase": None},
        "facilityTimezone": "America/Chicago",
        "currency": "USD",
    }
    # The keys the local server's config has are all here (the app reads one shape).
    from dogcare.local.stack import LocalStack

    local = LocalStack(api_url="http://127.0.0.1:3000").web_config()
    assert set(local) == set(config)
    assert set(local["oidc"]) <= set(config["oidc"])
    assert set(local["payments"]) == set(config["payments"])

    whole = run_config(tmp_path, {"Stacks": [{"Outputs": described(OUTPUTS)}]}, "--get", "WebBucketName")
    assert (whole.returncode, whole.stdout) == (0, "dogcare-dev-webbucket-1a2b3c\n")


@pytest.mark.parametrize(
    ("outputs", "args", "message"),
    [
        ({k: v for k, v in OUTPUTS.items() if k != "ApiUrl"}, ["--publishable-key", "pk_test_1"], "ApiUrl"),
        (OUTPUTS, [], "publishable key"),
        (OUTPUTS, ["--publishable-key", "sk_live_secret"], "publishable key"),
        ({**OUTPUTS, "ApiUrl": "http://insecure.example"}, ["--publishable-key", "pk_test_1"], "https"),
        (OUTPUTS, ["--publishable-key", "pk_test_1", "--currency", "dollars"], "currency"),
        (OUTPUTS, ["--get", "NoSuchOutput"], "NoSuchOutput"),
    ],
)
def test_web_config_refuses_what_would_make_a_broken_app(
    tmp_path: Path, outputs: dict[str, str], args: list[str], message: str
) -> None:
    target = tmp_path / "config.json"
    done = run_config(tmp_path, described(outputs), *args, "--output", str(target))
    assert done.returncode == 2
    assert message in done.stderr
    assert not target.exists()
    garbage = run_config(tmp_path, {"not": "outputs"}, "--publishable-key", "pk_test_1")
    assert garbage.returncode == 2
