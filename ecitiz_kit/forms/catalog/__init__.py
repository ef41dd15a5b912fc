"""The ready-made form definitions shipped with the kit (``<id>.json``)."""
