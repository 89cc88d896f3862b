"""Two checkouts of the last unit at the same moment, on real MariaDB: exactly one wins."""
import threading

import pytest
from django.db import connection

from carts.selectors import CartOwner
from carts.services import cart_add_item
from catalog.models import Product
from orders.models import Order
from orders.services import order_checkout
from shop.exceptions import Conflict


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checkouts_of_the_last_unit_exactly_one_succeeds(make_user, make_product):
    product = make_product(stock=1)
    buyers = [make_user(f"buyer{i}") for i in range(2)]
    for buyer in buyers:
        cart_add_item(owner=CartOwner(user_id=buyer.id), product_id=product.id, quantity=1)

    start = threading.Barrier(len(buyers))
    outcomes: list[str] = []

    def checkout(buyer):
        try:
            start.wait()
            order_checkout(user=buyer, cart_version=1)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=checkout, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["conflict", "ok"]
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.count() == 1
