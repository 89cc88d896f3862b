"""The catalog's change signals for its derived stores: the search index follows products."""
from django.db.models.signals import post_delete, post_save

from .models import Product, SearchRemoval
from .search import catch_up_after_commit


def product_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        catch_up_after_commit()


def product_deleted(sender, instance, **kwargs) -> None:
    # Logged in the deleting transaction: the index forgets it whenever it next catches up.
    SearchRemoval.objects.create(product_id=instance.pk)
    catch_up_after_commit()


def connect() -> None:
    post_save.connect(product_saved, sender=Product, dispatch_uid="catalog:search:saved")
    post_delete.connect(product_deleted, sender=Product, dispatch_uid="catalog:search:deleted")
