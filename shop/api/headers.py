"""HTTP caching headers shared by the views."""
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateNoStoreMixin:
    """For views of private data (cart, session, profile, orders): never stored by any cache."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response
