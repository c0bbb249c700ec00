"""Reading template.yaml in tests: CloudFormation's YAML tags, and evaluating the template for
given parameter values (conditions, ``Fn::If``, ``Ref``, ``Fn::Sub``, ...).

References to resources stay symbolic (``ref:StripeSecret``, ``getatt:OwnersLogGroup.Arn``), so
tests can check what points where without deploying anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "dogcare-test",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/dogcare-test/1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
NO_VALUE = "AWS::NoValue"
# Properties SAM generates and lets a template refer to (``!Ref MyApi.Stage``).
SAM_REF_SUFFIXES = {
    "AWS::Serverless::Api": {"Stage", "Deployment"},
    "AWS::Serverless::Function": {"Alias", "Version"},
}

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Select",
            "Split",
            "Join",
            "FindInMap",
            "GetAZs",
            "ImportValue",
            "Base64",
            "Cidr",
            "Transform",
            "ToJsonString",
            "Length",
        )
    },
}
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


class CfnLoader(yaml.SafeLoader):
    """PyYAML's safe loader plus the short-form intrinsic functions (``!Ref``, ``!Sub``, ...)."""


def _constructor(key: str) -> Any:
    def construct(loader: CfnLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if key == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag, _key in _SHORT_TAGS.items():
    CfnLoader.add_constructor(f"!{_tag}", _constructor(_key))


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506 - a SafeLoader


def intrinsic(value: Any) -> tuple[str, Any] | None:
    """``(name, argument)`` when ``value`` is one intrinsic function or condition reference."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
            return key, argument
    return None


def sub_parts(argument: Any) -> tuple[str, dict[str, Any]]:
    """The text and the local variables of an ``Fn::Sub``."""
    if isinstance(argument, list):
        return argument[0], dict(argument[1])
    return argument, {}


def sub_variables(text: str) -> list[str]:
    return _SUB_VARIABLE.findall(text)


def walk(value: Any) -> Iterator[Any]:
    """Every node of a loaded template, depth first."""
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


class Evaluated:
    """The template as it would deploy with ``parameters`` (the rest take their defaults)."""

    def __init__(self, template: Mapping[str, Any], **parameters: str) -> None:
        self.template = template
        self.parameters: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            if name in parameters:
                self.parameters[name] = str(parameters[name])
            elif "Default" in spec:
                self.parameters[name] = str(spec["Default"])
        unknown = set(parameters) - set(template.get("Parameters", {}))
        if unknown:
            raise KeyError(f"not parameters of the template: {sorted(unknown)}")
        self._conditions: dict[str, bool] = {}

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self._conditions[name]

    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources this deployment creates (conditions applied), unevaluated."""
        return {
            name: body
            for name, body in self.template["Resources"].items()
            if "Condition" not in body or self.condition(body["Condition"])
        }

    def properties(self, name: str) -> dict[str, Any]:
        value = self.value(self.template["Resources"][name].get("Properties", {}))
        assert isinstance(value, dict)
        return value

    # --- values -------------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        found = intrinsic(node)
        if found is not None:
            return self._function(*found)
        if isinstance(node, dict):
            result = {key: self.value(child) for key, child in node.items()}
            return {key: child for key, child in result.items() if child is not _NO_VALUE}
        if isinstance(node, list):
            return [item for item in (self.value(child) for child in node) if item is not _NO_VALUE]
        return node

    def ref(self, name: str) -> Any:
        if name == NO_VALUE:
            return _NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        return f"ref:{name}"

    def _sub(self, argument: Any) -> str:
        text, local = sub_parts(argument)
        values = {key: self.value(child) for key, child in local.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                return f"getatt:{name}"
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _function(self, key: str, argument: Any) -> Any:
        if key == "Ref":
            return self.ref(argument)
        if key == "Condition":
            return self.condition(argument)
        if key == "Fn::GetAtt":
            return f"getatt:{argument[0]}.{argument[1]}"
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::If":
            name, then, otherwise = argument
            return self.value(then if self.condition(name) else otherwise)
        if key == "Fn::Equals":
            left, right = (self.value(side) for side in argument)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.value(argument[0])
        if key == "Fn::And":
            return all(self.value(item) for item in argument)
        if key == "Fn::Or":
            return any(self.value(item) for item in argument)
        if key == "Fn::Select":
            index, items = argument
            return self.value(items)[int(self.value(index))]
        if key == "Fn::Split":
            separator, text = argument
            return str(self.value(text)).split(separator)
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.value(items))
        raise NotImplementedError(f"{key} is not evaluated by these tests")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()
