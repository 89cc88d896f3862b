"""Tasks the tests send to real Celery workers."""
from celery import shared_task


@shared_task(name="testapp.read_product")
def read_product(product_id: int) -> dict:
    """Read a product as any task would: its name, and the database the router chose for this
    task (which depends on the queue it came from)."""
    from catalog.models import Product

    product = Product.objects.get(pk=product_id)
    return {"name": product.name, "database": product._state.db}
