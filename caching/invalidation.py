"""Model changes become invalidations, applied after the transaction commits.

Domain apps declare `ModelRule`s on their data types; this module connects one
receiver per model to post_save, post_delete (and pre_save, for tracked fields,
and m2m_changed) and turns each change into keys to drop and namespaces to bump, scheduled with
`transaction.on_commit` (applied once the change is visible to readers, dropped with a
rollback), and CDN paths to purge, written to the CDN outbox in the change's own
transaction (caching.cdn).

`QuerySet.update()` and `bulk_create()` send no signals: wrap them in
`invalidating(queryset)` or call `invalidate_instances(...)` afterwards.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .cdn import outbox as cdn_outbox
from .datatypes import DataType, ModelRule, registry

logger = logging.getLogger(__name__)

_PREVIOUS = "_caching_previous"

# model class -> [(data type, rule)]
_rules: dict[type[Model], list[tuple[DataType, ModelRule]]] = defaultdict(list)


def _model(ref: Any) -> type[Model]:
    return apps.get_model(ref) if isinstance(ref, str) else ref


def connect(data_type: DataType) -> None:
    """Connect the data type's rules to model signals (registry hook)."""
    disconnect(data_type)  # registering a type again replaces its rules
    for rule in data_type.invalidated_by:
        model = _model(rule.model)
        first = model not in _rules
        _rules[model].append((data_type, rule))
        if first:
            uid = f"caching:{model._meta.label}"
            pre_save.connect(_remember_previous, sender=model, weak=False, dispatch_uid=f"{uid}:pre")
            post_save.connect(_changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(_changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
        for field_name in rule.m2m:
            through = getattr(model, field_name).through
            m2m_changed.connect(_m2m_changed, sender=through, weak=False,
                                dispatch_uid=f"caching:{through._meta.label}:m2m")


def disconnect(data_type: DataType) -> None:
    for model, entries in _rules.items():
        _rules[model] = [(dt, rule) for dt, rule in entries if dt.name != data_type.name]


registry.on_register.append(connect)


def _tracked_fields(model: type[Model]) -> list[str]:
    return sorted({name for _, rule in _rules.get(model, ()) for name in rule.track})


def _remember_previous(sender, instance, raw=False, **kwargs) -> None:
    """Before a save, read the tracked fields' stored values (e.g. the old category)."""
    fields = _tracked_fields(sender)
    if raw or not fields or instance.pk is None:
        return
    previous = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _PREVIOUS, previous)


def _changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # fixtures loading: nothing is cached from them yet
        return
    schedule(changes_for(sender, [instance]))


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        schedule(changes_for(type(instance), [instance]))
    elif pk_set:
        schedule(changes_for(model, list(model._base_manager.filter(pk__in=pk_set))))


class Changes:
    """What a set of model changes touches: keys, namespaces and CDN paths."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.namespaces: set[str] = set()
        self.cdn_paths: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.keys or self.namespaces or self.cdn_paths)

    def add(self, data_type: DataType, item_ids: Iterable[Any]) -> None:
        from .handler import get_layer

        item_ids = list(item_ids)
        cache_keys, namespaces = get_layer().invalidation_for(data_type, item_ids)
        self.keys.update(cache_keys)
        self.namespaces.update(namespaces)
        if data_type.cdn_paths is not None and cdn_outbox.enabled():
            for item_id in item_ids:
                self.cdn_paths.update(data_type.cdn_paths(item_id))


def changes_for(model: type[Model], instances: Iterable[Model]) -> Changes:
    changes = Changes()
    for instance in instances:
        previous = getattr(instance, _PREVIOUS, None)
        for data_type, rule in _rules.get(model, ()):
            ids = [i for i in (rule.ids(instance, previous) if rule.ids else ()) if i is not None]
            changes.add(data_type, ids)
    return changes


def schedule(changes: Changes) -> None:
    """Apply `changes` to the caches once the current transaction commits (at once outside
    one); their CDN paths go to the CDN outbox now, in the same transaction."""
    if changes.cdn_paths:
        cdn_outbox.record_paths(changes.cdn_paths)
    if changes.keys or changes.namespaces:
        transaction.on_commit(lambda: apply(changes), robust=True)


def apply(changes: Changes) -> None:
    from .handler import get_layer

    get_layer().apply_invalidation(changes.keys, changes.namespaces)


def invalidate_instances(instances: Iterable[Model]) -> None:
    """Invalidate what these rows touch, as if each had been saved (after bulk_create, say)."""
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for instance in instances:
        by_model[type(instance)].append(instance)
    for model, rows in by_model.items():
        schedule(changes_for(model, rows))


@contextmanager
def invalidating(queryset: QuerySet):
    """Wrap a `QuerySet.update()`: invalidates what the rows touched before and after it.

        with invalidating(Product.objects.filter(category=old)) as qs:
            qs.update(category=new)
    """
    model = queryset.model
    before = list(queryset)
    pks = [row.pk for row in before]
    yield queryset
    after = list(model._base_manager.filter(pk__in=pks))
    schedule(changes_for(model, before + after))
