"""Where the Stripe keys come from, and the per-process gateway built from them."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dogcare.errors import PaymentProviderError, PaymentProviderUnavailable
from dogcare.payments.secrets import (
    LOCAL_KEYS_FILE,
    StripeKeys,
    build_gateway,
    load_stripe_keys,
    reset_gateway_cache,
    write_local_keys,
)
from dogcare.payments.stripe_gateway import StripeGateway
from dogcare.settings import Settings

SECRET_DOC = {"secret_key": "sk_test_from_sm", "webhook_secret": "whsec_from_sm"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No real AWS account, and no cached secret or gateway leaking between tests."""
    from aws_lambda_powertools.utilities.parameters import clear_caches

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    clear_caches()
    reset_gateway_cache()
    yield
    clear_caches()
    reset_gateway_cache()


@pytest.fixture
def secretsmanager() -> Iterator[object]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


# --- environment -----------------------------------------------------------------------------------


def test_keys_from_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, stripe_secret_key="sk_test_env", stripe_webhook_secret="whsec_env")
    assert load_stripe_keys(settings) == StripeKeys("sk_test_env", "whsec_env")


def test_keys_from_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOGCARE_STRIPE_SECRET_KEY", "sk_test_envvar")
    monkeypatch.setenv("DOGCARE_STRIPE_WEBHOOK_SECRET", "whsec_envvar")
    monkeypatch.delenv("DOGCARE_STRIPE_SECRET_NAME", raising=False)
    keys = load_stripe_keys(Settings.from_env())
    assert (keys.secret_key, keys.webhook_secret) == ("sk_test_envvar", "whsec_envvar")


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"stripe_secret_key": "sk_test_x"}, "DOGCARE_STRIPE_WEBHOOK_SECRET"),
        ({"stripe_webhook_secret": "whsec_x"}, "DOGCARE_STRIPE_SECRET_KEY"),
    ],
)
def test_half_configured_environment_is_an_error(tmp_path: Path, changes: dict[str, str], missing: str) -> None:
    write_local_keys(tmp_path, StripeKeys("sk_test_file", "whsec_file"))  # must not be used silently
    with pytest.raises(PaymentProviderError, match=missing):
        load_stripe_keys(Settings(home=tmp_path, **changes))  # type: ignore[arg-type]


def test_keys_are_not_in_repr() -> None:
    keys = StripeKeys("sk_test_very_secret", "whsec_very_secret")
    assert "very_secret" not in repr(keys)


# --- local state folder ---------------------------------------------------------------------------


def test_keys_from_the_state_folder_file(tmp_path: Path) -> None:
    home = tmp_path / "state"
    path = write_local_keys(home, StripeKeys("sk_test_file", "whsec_file"), api_base="http://127.0.0.1:9")

    assert path == home / LOCAL_KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["api_base"] == "http://127.0.0.1:9"
    assert load_stripe_keys(Settings(home=home)) == StripeKeys("sk_test_file", "whsec_file")
    assert [p.name for p in home.iterdir()] == [LOCAL_KEYS_FILE]  # no temporary file left behind


def test_environment_wins_over_the_state_folder(tmp_path: Path) -> None:
    write_local_keys(tmp_path, StripeKeys("sk_test_file", "whsec_file"))
    settings = Settings(home=tmp_path, stripe_secret_key="sk_test_env", stripe_webhook_secret="whsec_env")
    assert load_stripe_keys(settings).secret_key == "sk_test_env"


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"secret_key": "sk_test_x"}', '{"secret_key": "", "webhook_secret": "whsec_x"}'],
)
def test_unusable_state_file_is_an_error(tmp_path: Path, content: str) -> None:
    (tmp_path / LOCAL_KEYS_FILE).write_text(content)
    with pytest.raises(PaymentProviderError, match=LOCAL_KEYS_FILE):
        load_stripe_keys(Settings(home=tmp_path))


def test_nothing_configured_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PaymentProviderError) as caught:
        load_stripe_keys(Settings(home=tmp_path))
    for hint in ("DOGCARE_STRIPE_SECRET_NAME", "DOGCARE_STRIPE_SECRET_KEY", LOCAL_KEYS_FILE):
        assert hint in caught.value.detail


# --- Secrets Manager ---------------------------------------------------------------------------------


def test_keys_from_secrets_manager(tmp_path: Path, secretsmanager: object) -> None:
    secretsmanager.create_secret(Name="dogcare/stripe", SecretString=json.dumps(SECRET_DOC))  # type: ignore[attr-defined]
    settings = Settings(
        home=tmp_path,
        stripe_secret_name="dogcare/stripe",
        stripe_secret_key="sk_test_env",
        stripe_webhook_secret="whsec_env",
    )
    assert load_stripe_keys(settings) == StripeKeys("sk_test_from_sm", "whsec_from_sm")


def test_secret_is_cached_then_refreshed(tmp_path: Path, secretsmanager: object) -> None:
    from aws_lambda_powertools.utilities.parameters import clear_caches

    secretsmanager.create_secret(Name="dogcare/stripe", SecretString=json.dumps(SECRET_DOC))  # type: ignore[attr-defined]
    settings = Settings(home=tmp_path, stripe_secret_name="dogcare/stripe")
    assert load_stripe_keys(settings).secret_key == "sk_test_from_sm"

    rotated = {**SECRET_DOC, "secret_key": "sk_test_rotated"}
    secretsmanager.put_secret_value(SecretId="dogcare/stripe", SecretString=json.dumps(rotated))  # type: ignore[attr-defined]
    assert load_stripe_keys(settings).secret_key == "sk_test_from_sm"  # cached (max_age=300)
    clear_caches()  # what expiry of max_age does
    assert load_stripe_keys(settings).secret_key == "sk_test_rotated"


def test_missing_secret_is_a_configuration_error(tmp_path: Path, secretsmanager: object) -> None:
    with pytest.raises(PaymentProviderError, match="dogcare/nope") as caught:
        load_stripe_keys(Settings(home=tmp_path, stripe_secret_name="dogcare/nope"))
    assert not isinstance(caught.value, PaymentProviderUnavailable)


@pytest.mark.parametrize(
    ("secret", "match"),
    [("not json", "not valid JSON"), ('{"secret_key": "sk_test_only"}', "webhook_secret")],
)
def test_malformed_secret_is_an_error(tmp_path: Path, secretsmanager: object, secret: str, match: str) -> None:
    secretsmanager.create_secret(Name="dogcare/bad", SecretString=secret)  # type: ignore[attr-defined]
    with pytest.raises(PaymentProviderError, match=match):
        load_stripe_keys(Settings(home=tmp_path, stripe_secret_name="dogcare/bad"))


def test_unreachable_secrets_manager_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    with pytest.raises(PaymentProviderUnavailable, match="dogcare/stripe"):
        load_stripe_keys(Settings(home=tmp_path, stripe_secret_name="dogcare/stripe"))


# --- build_gateway ------------------------------------------------------------------------------------


def test_build_gateway_is_cached_and_follows_key_changes(tmp_path: Path) -> None:
    write_local_keys(tmp_path, StripeKeys("sk_test_one", "whsec_one"))
    settings = Settings(home=tmp_path, stripe_api_base="http://127.0.0.1:9")

    first = build_gateway(settings)
    assert isinstance(first, StripeGateway)
    assert "127.0.0.1:9" in repr(first)
    assert build_gateway(settings) is first

    write_local_keys(tmp_path, StripeKeys("sk_test_two", "whsec_two"))
    second = build_gateway(settings)
    assert second is not first
    assert build_gateway(settings) is second


def test_build_gateway_keeps_serving_when_secrets_manager_blips(
    tmp_path: Path, secretsmanager: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.parameters import clear_caches

    secretsmanager.create_secret(Name="dogcare/stripe", SecretString=json.dumps(SECRET_DOC))  # type: ignore[attr-defined]
    settings = Settings(home=tmp_path, stripe_secret_name="dogcare/stripe")
    first = build_gateway(settings)

    clear_caches()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert build_gateway(settings) is first


def test_build_gateway_without_configuration_raises(tmp_path: Path) -> None:
    with pytest.raises(PaymentProviderError):
        build_gateway(Settings(home=tmp_path))


# --- import cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "dogcare.payments.gateway",
        "dogcare.testing.payment_gateway",
        "dogcare.payments.stripe_gateway",
        "dogcare.payments.secrets",
        "dogcare.local.fake_stripe",
    ],
)
def test_importing_payment_modules_loads_no_sdk(module: str) -> None:
    heavy = ("stripe", "boto3", "botocore", "aws_lambda_powertools", "requests")
    code = f"import sys, {module}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    repo_root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root)
    assert out.stdout.strip() == "[]"
