"""商品画像: uploads checked and re-encoded with Pillow (``processing``), and a shop's images
stored, ordered and read without their bytes (``catalog``). Served by
``cart.storefront.images`` and the admin's products blueprint (docs/product-images.md)."""
