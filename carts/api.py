"""Cart endpoints, for anonymous sessions and logged-in users alike."""
import orjson
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

import caching
from shop.api.headers import PrivateNoStoreMixin
from shop.api.http_cache import PRIVATE, cached_json_response
from shop.api.ids import checked_path_id
from shop.api.schema import api_operation, id_parameter
from shop.exceptions import NotFound

from . import services
from .cache import cart_cache_id
from .selectors import CartOwner, cart_get, cart_snapshot
from .serializers import CART_STOCK_CONFLICT, CartItemAddInput, CartItemUpdateInput, CartSerializer

PRODUCT_ID = id_parameter("product_id", "The product's id.")
NOT_IN_CART = "This product is not in the cart (`not_found`)."
STOCK = "Not enough stock for the quantity the cart would hold (`conflict`); nothing was changed."
IN_CART = {"product_id": "$response.body#/items/0/product_id"}
ITEM_LINKS = {"ChangeQuantity": ("cart_items_partial_update", IN_CART), "RemoveItem": ("cart_items_destroy", IN_CART)}


def request_owner(request, *, create_session: bool = False) -> CartOwner:
    """The cart owner of a request; for a write, an anonymous visitor gets a session."""
    if request.user.is_authenticated:
        return CartOwner(user_id=request.user.id)
    session = request.session
    if session.session_key is None and create_session:
        # A session with no data is not saved (nor its cookie set): mark it.
        session["has_cart"] = True
        session.save()
    return CartOwner(session_key=session.session_key)


def _cart_owner(request) -> CartOwner:
    """The owner of an existing cart, for a write that needs one. A visitor without a session
    has no cart, and the services must never be handed an owner without a key (a lookup
    by a missing session key would match the rows whose key is NULL: users' carts)."""
    owner = request_owner(request)
    if not owner.is_known:
        raise NotFound("This product is not in the cart.")
    return owner


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CartView(PrivateNoStoreMixin, APIView):
    # A visitor with no session yet gets an empty cart built without the cache: no ETag then.
    @api_operation(ok={200: CartSerializer}, cached=True, cached_headers_always=False, links={200: ITEM_LINKS})
    def get(self, request):
        owner = request_owner(request)
        if not owner.is_known:  # no session yet: an empty cart, nothing to look up
            return Response(cart_snapshot(cart=None))
        result = caching.fetch("cart", cart_cache_id(owner), lambda: cart_snapshot(cart=cart_get(owner=owner)))
        return cached_json_response(request, orjson.dumps(result.value), status=result.status, policy=PRIVATE)

    @api_operation(ok={204: None}, errors=[403])
    def delete(self, request):
        owner = request_owner(request)
        if owner.is_known:  # no session: no cart, nothing to clear
            services.cart_clear(owner=owner)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemsView(PrivateNoStoreMixin, APIView):
    @api_operation(request=CartItemAddInput, ok={201: CartSerializer}, errors=[403, 409, 415],
                   error_bodies={409: CART_STOCK_CONFLICT}, descriptions={409: STOCK}, links={201: ITEM_LINKS})
    def post(self, request):
        data = _validated(CartItemAddInput, request)
        cart = services.cart_add_item(owner=request_owner(request, create_session=True), **data)
        return Response(cart_snapshot(cart=cart), status=status.HTTP_201_CREATED)


class CartItemView(PrivateNoStoreMixin, APIView):
    @api_operation(request=CartItemUpdateInput, ok={200: CartSerializer}, errors=[403, 404, 409, 415],
                   parameters=[PRODUCT_ID], error_bodies={409: CART_STOCK_CONFLICT},
                   descriptions={404: NOT_IN_CART, 409: STOCK})
    def patch(self, request, product_id: int):
        data = _validated(CartItemUpdateInput, request)
        product_id = checked_path_id(product_id, "product_id")
        cart = services.cart_set_item_quantity(owner=_cart_owner(request), product_id=product_id, **data)
        return Response(cart_snapshot(cart=cart))

    @api_operation(ok={204: None}, errors=[403, 404], parameters=[PRODUCT_ID], descriptions={404: NOT_IN_CART})
    def delete(self, request, product_id: int):
        product_id = checked_path_id(product_id, "product_id")
        services.cart_remove_item(owner=_cart_owner(request), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
