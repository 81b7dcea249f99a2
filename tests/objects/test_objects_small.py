"""apiVersion groups and the YAML loader: small helpers with one implementation each."""

from __future__ import annotations

import pytest
import yaml

from midway.model import ObjectKey
from midway.objects import yamlload
from midway.objects.apiversion import group_of, split_api_version


@pytest.mark.parametrize(
    ("api_version", "group", "version"),
    [
        ("apps/v1", "apps", "v1"),
        ("v1", "", "v1"),
        ("networking.k8s.io/v1beta1", "networking.k8s.io", "v1beta1"),
        ("", "", ""),
    ],
)
def test_api_version_splits_into_group_and_version(
    api_version: str, group: str, version: str
) -> None:
    assert split_api_version(api_version) == (group, version)
    assert group_of(api_version) == group
    body = {"apiVersion": api_version, "kind": "K", "metadata": {"name": "n"}}
    assert ObjectKey.of(body).group == group


def test_yaml_loader_reads_documents_safely() -> None:
    assert yamlload.load(b"a: 1\nb: [x]\n") == {"a": 1, "b": ["x"]}
    assert list(yamlload.load_all("a: 1\n---\n---\nb: 2\n")) == [{"a": 1}, None, {"b": 2}]
    with pytest.raises(yaml.YAMLError):  # a safe loader builds no Python objects
        yamlload.load("!!python/object/apply:os.system ['true']")
