"""Search rules, the same on every database: which words count, and no query scans the catalog."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.selectors import search_terms

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["🙂", "!!!", "the", "a an of", "ab cd", "__"])
def test_a_query_without_a_searchable_word_is_400_not_the_whole_catalog(api_client, product, q):
    response = api_client.get("/api/v1/search/", {"q": q})
    assert response.status_code == 400
    assert "q" in response.json()["error"]["details"]


def test_invalid_utf8_in_the_query_is_400(api_client, product):
    response = api_client.get("/api/v1/search/?q=%ff%fe")
    assert response.status_code == 400


def test_short_words_and_stopwords_are_ignored_everywhere():
    assert search_terms("The COPPER kettle of an Ox") == ["copper", "kettle"]
    assert search_terms("kettle kettle") == ["kettle"]
    assert search_terms("été café") == ["été", "café"]


@pytest.mark.django_db(transaction=True)  # InnoDB's FULLTEXT index sees committed rows only
def test_stopwords_do_not_change_the_results_and_share_one_cache_entry(api_client, product, make_product):
    make_product(name="Steel Pan")
    plain = api_client.get("/api/v1/search/", {"q": "kettle"})
    with_stopwords = api_client.get("/api/v1/search/", {"q": "the kettle of it"})
    assert [p["id"] for p in plain.json()["results"]] == [product.id]
    assert with_stopwords.json() == plain.json()
    assert with_stopwords["X-Cache"].startswith("HIT")


@pytest.mark.django_db(transaction=True)
def test_words_match_as_prefixes_and_all_are_required(api_client, product, make_product):
    make_product(name="Copper Pan")
    assert [p["id"] for p in api_client.get("/api/v1/search/", {"q": "copp kett"}).json()["results"]] == [product.id]


@pytest.mark.django_db(transaction=True)
def test_a_search_asks_the_database_nothing_but_the_cards_of_its_results(api_client, product, make_product):
    make_product(name="Steel Pan")
    with CaptureQueriesContext(connection) as queries:
        body = api_client.get("/api/v1/search/", {"q": "a to kettle"}).json()
    assert [p["id"] for p in body["results"]] == [product.id]
    # The index answers the search; the database only renders the one card it lacks.
    assert [q["sql"] for q in queries.captured_queries if "catalog_product" in q["sql"]] and all(
        "LIKE" not in q["sql"] and "MATCH" not in q["sql"] for q in queries.captured_queries)
