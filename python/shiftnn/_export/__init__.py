"""The exporter's parts, one job per module; shiftnn.exporter is their public face."""
# Importing the operator families fills registry.HANDLERS (each handler uses @handles).
from . import ops_elementwise, ops_layers, ops_spatial, ops_views

__all__ = ["ops_elementwise", "ops_layers", "ops_spatial", "ops_views"]
