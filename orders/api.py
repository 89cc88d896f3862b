"""Checkout and order history of the logged-in user."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from shop.api.headers import PrivateNoStoreMixin

from . import selectors
from .serializers import CheckoutInput, OrderSerializer
from .services import order_checkout


class OrderListCreateView(PrivateNoStoreMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_queryset(self):
        return selectors.order_list(user=self.request.user)

    @extend_schema(request=CheckoutInput, responses={201: OrderSerializer})
    def post(self, request):
        serializer = CheckoutInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_checkout(user=request.user, shipping_address=serializer.validated_data.get("shipping_address"))
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(PrivateNoStoreMixin, generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_object(self):
        return selectors.order_get(user=self.request.user, order_id=self.kwargs["pk"])
