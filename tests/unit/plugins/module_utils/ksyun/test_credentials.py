# -*- coding: utf-8 -*-
"""Where the access key pair comes from: options, then KSYUN_ACCESS_KEY_ID/KSYUN_SECRET_ACCESS_KEY, then
KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY (Kingsoft's Terraform provider and SDK samples); a pair never mixes two sources."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.config import ClientConfig, resolve_credentials
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunConfigError

NEW = {"KSYUN_ACCESS_KEY_ID": "AK-new", "KSYUN_SECRET_ACCESS_KEY": "SK-new-secret"}
LEGACY = {"KSYUN_ACCESS_KEY": "AK-legacy", "KSYUN_SECRET_KEY": "SK-legacy-secret"}


def test_options_win_over_both_pairs_of_variables():
    assert resolve_credentials("AK-opt", "SK-opt", dict(NEW, **LEGACY)) == ("AK-opt", "SK-opt")


def test_the_ksyun_access_key_id_pair_wins_over_the_ksyun_access_key_pair():
    assert resolve_credentials(None, None, dict(NEW, **LEGACY)) == ("AK-new", "SK-new-secret")


def test_the_ksyun_access_key_pair_of_terraform_and_the_sdk_samples_is_read_when_nothing_else_is_set():
    assert resolve_credentials(None, None, LEGACY) == ("AK-legacy", "SK-legacy-secret")


def test_an_empty_variable_counts_as_unset():
    env = dict(LEGACY, KSYUN_ACCESS_KEY_ID="", KSYUN_SECRET_ACCESS_KEY="")
    assert resolve_credentials(None, None, env) == ("AK-legacy", "SK-legacy-secret")


@pytest.mark.parametrize(
    "key, secret, env, named",
    [
        (
            None,
            None,
            {"KSYUN_ACCESS_KEY_ID": "AK-new", "KSYUN_SECRET_KEY": "SK-x"},
            ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_KEY"),
        ),
        (
            None,
            None,
            {"KSYUN_ACCESS_KEY": "AK-l", "KSYUN_SECRET_ACCESS_KEY": "SK-x"},
            ("KSYUN_ACCESS_KEY", "KSYUN_SECRET_ACCESS_KEY"),
        ),
        ("AK-opt", None, NEW, ("the option access_key_id", "KSYUN_SECRET_ACCESS_KEY")),
        (None, "SK-opt", LEGACY, ("KSYUN_ACCESS_KEY", "the option secret_access_key")),
        # A complete legacy pair does not complete a half of the preferred one: KSYUN_ACCESS_KEY_ID is taken, then mixed.
        (None, None, dict(LEGACY, KSYUN_ACCESS_KEY_ID="AK-new"), ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_KEY")),
    ],
)
def test_an_id_and_a_secret_from_two_sources_are_refused_naming_both(key, secret, env, named):
    with pytest.raises(KsyunConfigError) as err:
        resolve_credentials(key, secret, env)
    text = str(err.value)
    assert "comes from %s but the secret key from %s" % named in text and "one source" in text
    assert not any(value in text for value in ("SK-x", "SK-opt", "SK-new-secret", "SK-legacy-secret"))


@pytest.mark.parametrize(
    "env, words",
    [
        ({"KSYUN_SECRET_ACCESS_KEY": "SK"}, ("access_key_id", "access_key", "KSYUN_ACCESS_KEY_ID", "KSYUN_ACCESS_KEY")),
        (
            {"KSYUN_ACCESS_KEY_ID": "AK"},
            ("secret_access_key", "secret_key", "KSYUN_SECRET_ACCESS_KEY", "KSYUN_SECRET_KEY"),
        ),
    ],
)
def test_a_missing_half_names_the_option_its_alias_and_both_variables(env, words):
    with pytest.raises(KsyunConfigError) as err:
        resolve_credentials(None, None, env)
    assert all(word in str(err.value) for word in words)


def test_the_resolved_configuration_uses_the_pair_and_never_shows_the_secret():
    config = ClientConfig.resolve(region="cn-beijing-6", env=LEGACY)
    assert config.access_key_id == "AK-legacy" and config.secret_access_key == "SK-legacy-secret"
    assert "SK-legacy-secret" not in repr(config) and "SK-legacy-secret" not in str(config)


def test_the_options_take_the_aliases_and_the_documentation_says_so():
    import yaml

    from ansible_collections.ksyun.kce.plugins.doc_fragments.ksyun import ModuleDocFragment
    from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import KSYUN_ARGS

    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    for option, alias in (("access_key_id", "access_key"), ("secret_access_key", "secret_key")):
        assert KSYUN_ARGS[option]["aliases"] == documented[option]["aliases"] == [alias]
        # No env fallback: the variables are read where the pair's source is known (resolve_credentials).
        assert "fallback" not in KSYUN_ARGS[option]
    assert KSYUN_ARGS["secret_access_key"]["no_log"] is True
    text = " ".join(documented["access_key_id"]["description"])
    assert all(
        v in text for v in ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_ACCESS_KEY", "KSYUN_ACCESS_KEY", "KSYUN_SECRET_KEY")
    )
