"""Key scheme: readable ids, hashed free text, hash tags for Redis Cluster."""
import pytest

from caching import keys


def test_entry_key_follows_the_scheme_with_a_hash_tag():
    assert keys.entry_key("shop", "product", 3, "42") == "shop:product:v3:{42}"
    assert keys.fence_key("shop:product:v3:{42}") == "shop:product:v3:{42}:fence"
    assert keys.generations_key("shop:search:v1:{ab}") == "shop:search:v1:{ab}:gens"
    assert keys.generation_key("shop", "listing:d3") == "shop:gen:{listing:d3}"


def test_ids_are_validated_and_free_text_is_hashed():
    assert keys.normalise_id(42) == "42"
    assert keys.normalise_id("kitchen-tools") == "kitchen-tools"
    hashed = keys.normalise_id("drop table; {evil} *")
    assert len(hashed) == 64 and all(c in "0123456789abcdef" for c in hashed)
    assert keys.normalise_id("a b") != keys.normalise_id("a  b")
    with pytest.raises(TypeError):
        keys.normalise_id(True)


def test_hash_params_ignores_parameter_order():
    assert keys.hash_params({"q": "x", "page": 1}) == keys.hash_params({"page": 1, "q": "x"})
    assert keys.hash_params({"q": "x", "page": 1}) != keys.hash_params({"q": "x", "page": 2})
