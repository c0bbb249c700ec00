"""The TR 39 skeleton and the email uniqueness key."""

from __future__ import annotations

import unicodedata

import pytest

from dogcare.domain.skeleton import email_key, parse_confusables, prototypes, skeleton


def test_the_data_is_unicodes_confusables_file() -> None:
    table = prototypes()
    assert len(table) > 6000
    assert table["\u0435"] == "e"  # CYRILLIC SMALL LETTER IE
    assert table["\u0430"] == "a"
    assert table["0"] == "O"  # the prototype of a digit zero is the capital letter O
    assert table["\u217f"] == "rn"  # SMALL ROMAN NUMERAL ONE THOUSAND looks like m, and m like rn
    assert table["m"] == "rn"  # prototypes can be sequences


def test_parse_reads_source_and_target_sequences_and_ignores_comments() -> None:
    text = "\ufeff# header\n\n0430 ;\t0061 ;\tMA\t# ( \u0430 -> a )\n006D ;\t0072 006E ;\tMA\t# m → rn\n"
    assert parse_confusables(text) == {"\u0430": "a", "m": "rn"}


def test_skeleton_is_nfd_map_nfd() -> None:
    # An accented Cyrillic letter decomposes first, then its base maps, then NFD again.
    assert skeleton("\u04d1") == unicodedata.normalize("NFD", "\u0103")  # Cyrillic a with breve -> a with breve
    assert skeleton("paypal") == skeleton("p\u0430yp\u0430l")


@pytest.mark.parametrize(
    "look_alike",
    [
        "alic\u0435@example.com",
        "ALICE@EXAMPLE.COM",
        "Alice@Example.com",
        "\uff41lice@example.com",
        "alice@exarnple.com",
        " alice@example.com ",
    ],
)
def test_look_alikes_and_case_variants_share_a_key(look_alike: str) -> None:
    assert email_key(look_alike) == email_key("alice@example.com")


@pytest.mark.parametrize("other", ["alice@example.org", "alicia@example.com", "bob@example.com", "alice1@example.com"])
def test_different_addresses_have_different_keys(other: str) -> None:
    assert email_key(other) != email_key("alice@example.com")


def test_the_key_is_stable() -> None:
    key = email_key("Émile.Zola@Example.com")
    assert email_key(key) == key
