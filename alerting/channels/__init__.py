"""Channels: one module per kind (``webhook``, ``console``, …), registered in ``registry``."""
