"""The search index: tantivy (an embedded Lucene-like library), on local disk, kept in step
with the catalog.

Search reads this index, never the database: a query for a common word scores and
counts tens of thousands of matches in about a millisecond, where MariaDB's FULLTEXT
took over a second. The index holds what search filters and orders on (the text,
price, name, category, department, whether the product is active), keyed by the
product id; the response bodies come from the product cache.

It follows the catalog by catching up: the products changed since its watermark
(`updated_at`) and the removals logged since its cursor (`SearchRemoval`) are applied,
by whichever process holds the index's writer lock: the process that made the change
(right after its commit), and beat every few seconds. A product whose indexed fields
did not change (a checkout's stock decrement) is not rewritten, and bumps nothing.
After a catch-up that changed the index, the `search` generation is bumped, so search
entries built before it turn stale (and are rebuilt) only once the index has the
change. A larger shop moves this to a search service (OpenSearch, Elasticsearch,
Typesense) fed by the same catch-up.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import tantivy
from django.conf import settings
from django.utils import timezone

from .models import Product, SearchRemoval

logger = logging.getLogger(__name__)

STATE_FILE = "catch_up.json"
# Changes committed this close to the watermark may still be in flight in another
# transaction (updated_at is set before commit): they are looked at again.
OVERLAP = timedelta(seconds=5)
BATCH = 2000

ORDER_FIELDS = {"price": "price", "name": "name_sort", "created_at": "created", "id": "id"}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", stored=True)
    builder.add_text_field("name_sort", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("price", stored=True, indexed=True, fast=True)  # cents
    builder.add_integer_field("created", stored=True, indexed=True, fast=True)  # microseconds
    builder.add_integer_field("category", stored=True, indexed=True, fast=True)
    builder.add_integer_field("department", stored=True, indexed=True, fast=True)
    builder.add_integer_field("active", stored=True, indexed=True, fast=True)
    return builder.build()


def _document_fields(product: Product) -> dict:
    return {
        "id": product.pk,
        "text": f"{product.name} {product.description} {product.sku}",
        "name_sort": product.name,
        "price": int(product.price * 100),
        "created": int(product.created_at.timestamp() * 1_000_000),
        "category": product.category_id,
        "department": product.department_id,
        "active": int(product.is_active),
    }


@dataclass(frozen=True)
class SearchQuery:
    terms: list[str]
    scope: str = "all"  # as in selectors.listing_scope
    scope_categories: tuple[int, ...] = ()  # a middle category's subtree
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    ordering: str | None = None
    inactive_categories: tuple[int, ...] = ()


class SearchIndex:
    """One index directory, opened once per process."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self._catch_up_lock = threading.Lock()

    # Reads -----------------------------------------------------------------

    def search(self, query: SearchQuery, *, offset: int, limit: int) -> tuple[list[int], int]:
        """One page of product ids and the number of matches."""
        self.index.reload()  # what the last catch-up (of any process) committed
        searcher = self.index.searcher()
        kwargs = {}
        if query.ordering:
            field = query.ordering.lstrip("-")
            kwargs = {"order_by_field": ORDER_FIELDS[field],
                      "order": tantivy.Order.Desc if query.ordering.startswith("-") else tantivy.Order.Asc}
        result = searcher.search(self._query(query), limit=limit, offset=offset, count=True, **kwargs)
        ids = [searcher.doc(address).get_first("id") for _, address in result.hits]
        return ids, result.count

    def _query(self, query: SearchQuery) -> tantivy.Query:
        schema, must = self.schema, tantivy.Occur.Must
        clauses = [(must, tantivy.Query.phrase_prefix_query(schema, "text", [term])) for term in query.terms]
        clauses.append((must, tantivy.Query.term_query(schema, "active", 1)))
        kind, ident = query.scope[0], query.scope[1:]
        if kind == "d":
            clauses.append((must, tantivy.Query.term_query(schema, "department", int(ident))))
        elif kind == "c":
            clauses.append((must, tantivy.Query.term_query(schema, "category", int(ident))))
        elif kind == "t":
            clauses.append((must, tantivy.Query.term_set_query(schema, "category", list(query.scope_categories))))
        if query.min_price is not None or query.max_price is not None:
            low = None if query.min_price is None else int(query.min_price * 100)
            high = None if query.max_price is None else int(query.max_price * 100)
            clauses.append((must, tantivy.Query.range_query(schema, "price", tantivy.FieldType.Integer, low, high)))
        if query.inactive_categories:
            clauses.append((tantivy.Occur.MustNot,
                            tantivy.Query.term_set_query(schema, "category", list(query.inactive_categories))))
        return tantivy.Query.boolean_query(clauses)

    # Writes ----------------------------------------------------------------

    def catch_up(self, *, on_changed: Callable[[set[str]], None] = lambda kinds: None,
                 progress: Callable[[int], None] = lambda n: None) -> int | None:
        """Apply what changed in the catalog since the last catch-up. Returns how many documents
        changed, or None when another process holds the writer (it will apply ours too).
        `on_changed(kinds)` says what changed: {"price"} when only prices did, else {"all"}."""
        with self._catch_up_lock:
            try:
                writer = self.index.writer(heap_size=50_000_000, num_threads=1)
            except ValueError:
                return None  # another process is catching up
            kinds: set[str] = set()
            try:
                changed = self._apply(writer, progress, kinds)
            except BaseException:
                writer.rollback()
                raise
            finally:
                del writer  # releases the lock file
        if changed:
            self.index.reload()
            on_changed(kinds)
        return changed

    def _apply(self, writer, progress, kinds: set[str]) -> int:
        state = self._state()
        started = timezone.now()
        watermark = datetime.fromisoformat(state["watermark"]) if state["watermark"] else None
        changed = 0
        self.index.reload()
        searcher = self.index.searcher()
        products = Product.objects.order_by("updated_at", "pk")
        if watermark is not None:
            products = products.filter(updated_at__gte=watermark - OVERLAP)
        for product in products.iterator(chunk_size=BATCH):
            fields = _document_fields(product)
            differs = self._differs(searcher, fields)
            if not differs:
                continue
            kinds.add("price" if differs == {"price"} else "all")
            writer.delete_documents_by_term("id", product.pk)
            writer.add_document(tantivy.Document(**fields))
            changed += 1
            progress(1)
        removals = SearchRemoval.objects.filter(pk__gt=state["removal"]).order_by("pk")
        last_removal = state["removal"]
        for removal in removals.iterator(chunk_size=BATCH):
            writer.delete_documents_by_term("id", removal.product_id)
            last_removal = removal.pk
            changed += 1
            kinds.add("all")
        if changed or last_removal != state["removal"]:
            writer.commit()
            writer.wait_merging_threads()
        self._save_state(watermark=started, removal=last_removal)
        return changed

    def _differs(self, searcher, fields: dict) -> set[str]:
        """The fields whose indexed value is not this one (all of them for a new product)."""
        hits = searcher.search(tantivy.Query.term_query(self.schema, "id", fields["id"]), limit=1, count=False).hits
        if not hits:
            return set(fields)
        stored = searcher.doc(hits[0][1]).to_dict()
        return {name for name, value in fields.items() if stored.get(name) != [value]}

    def rebuild(self, *, progress: Callable[[int], None] = lambda n: None) -> int:
        """Index every product afresh (after a restore, or to start an index)."""
        with self._catch_up_lock:
            writer = self.index.writer(heap_size=200_000_000, num_threads=2)
            try:
                writer.delete_all_documents()
                count = 0
                started = timezone.now()
                for product in Product.objects.order_by("pk").iterator(chunk_size=BATCH):
                    writer.add_document(tantivy.Document(**_document_fields(product)))
                    count += 1
                    if count % BATCH == 0:
                        progress(BATCH)
                progress(count % BATCH)
                writer.commit()
                writer.wait_merging_threads()
            finally:
                del writer
            last_removal = SearchRemoval.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            self._save_state(watermark=started, removal=last_removal)
        self.index.reload()
        return count

    def clear(self) -> None:
        """Empty the index and forget what it caught up with (tests)."""
        with self._catch_up_lock:
            writer = self.index.writer(heap_size=15_000_000, num_threads=1)
            try:
                writer.delete_all_documents()
                writer.commit()
            finally:
                del writer
            self._save_state(watermark=None, removal=0)
        self.index.reload()

    def document_count(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    def _state(self) -> dict:
        try:
            return json.loads((self.path / STATE_FILE).read_text())
        except FileNotFoundError:
            return {"watermark": None, "removal": 0}

    def _save_state(self, *, watermark: datetime | None, removal: int) -> None:
        temporary = self.path / f"{STATE_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps({"watermark": watermark.isoformat() if watermark else None,
                                         "removal": removal}))
        temporary.replace(self.path / STATE_FILE)


_index: SearchIndex | None = None
_index_lock = threading.Lock()


def search_index() -> SearchIndex:
    """This process's handle on the index under SEARCH_INDEX_DIR."""
    global _index
    if _index is None or _index.path != Path(settings.SEARCH_INDEX_DIR):
        with _index_lock:
            if _index is None or _index.path != Path(settings.SEARCH_INDEX_DIR):
                _index = SearchIndex(Path(settings.SEARCH_INDEX_DIR))
    return _index
