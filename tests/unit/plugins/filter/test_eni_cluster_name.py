"""The ENI name prefix of a KCE cluster: its name where that can mark ENIs, else its id (the platform agrees)."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.filter.eni_cluster_name import eni_cluster_name

CLUSTER_ID = "5f2c7a10-0006-4a6e-9c1b-000000000001"


def test_a_short_lower_case_name_is_used_as_it_is():
    assert eni_cluster_name("sandbox", CLUSTER_ID) == "sandbox"


@pytest.mark.parametrize("name", ["生产集群", "Prod", "my_cluster", "", "x" * 41, "-edge"])
def test_a_name_that_cannot_mark_enis_gives_the_cluster_id(name):
    assert eni_cluster_name(name, CLUSTER_ID) == CLUSTER_ID


def test_an_id_that_cannot_mark_enis_either_is_refused_naming_both():
    with pytest.raises(AnsibleFilterError, match=r"'Bad_Id'.*'My Cluster'"):
        eni_cluster_name("My Cluster", "Bad_Id")
