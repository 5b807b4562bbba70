"""convnet.inspect: look inside models: summaries with shapes, parameters, MACs and receptive fields.

=================  ============================================================
summary.py         summary(model, input_shape) -> Summary (table, JSON, markdown, CSV)
receptive.py       receptive fields, effective strides and paddings from the graph
=================  ============================================================
"""

from .receptive import Axis, Geometry, trace_geometry
from .summary import LayerInfo, Summary, parse_shape, summary

__all__ = ["Axis", "Geometry", "LayerInfo", "Summary", "parse_shape", "summary", "trace_geometry"]
