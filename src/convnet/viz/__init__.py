"""convnet.viz: see inside a network. Pictures are PIL images (or NumPy arrays), drawn with
Pillow; the learning curves use matplotlib (``pip install convnet[viz]``). Nothing opens a
window: everything works headless, and the `convnet viz` command writes the pictures to files.

=================  ==============================================================
weights.py         the kernels a convolution layer learned, one tile each
features.py        feature maps: what each channel outputs for one image
kernels.py         hand-designed filters (Sobel, edge detectors) applied to an image
animation.py       a kernel sliding over a padded input, frame by frame (GIF)
receptive.py       the input region one output cell sees, from the summary's arithmetic
patches.py         the dataset patches that excite a channel most
maximise.py        activation maximisation: the input a channel responds to most
report.py          end of training: confusion matrix, misclassified images (+ curves)
plots.py           matplotlib plots (learning curves)
probe.py           layers by name, forward hooks, gradients of activations w.r.t. the input
images.py          image files and dataset images (``mnist:0``) as model input
canvas.py          drawing: text, tile grids, number matrices, colour bars, saving files
colors.py          the colour scales (diverging, sequential, blues, gray)
=================  ==============================================================

>>> import numpy as np
>>> import convnet.viz as viz
>>> a = viz.animate(input_size=5, kernel_size=3, padding=1, stride=2)
>>> len(a.frames), a.output.shape
(9, (3, 3))
>>> out = viz.apply_filters("edges", np.eye(6, dtype=np.float32))
>>> sorted(out)
['edge_bottom', 'edge_left', 'edge_right', 'edge_top']
"""

from .animation import Animation, Step, animate
from .canvas import Grid, save, save_gif
from .colors import ColorScale
from .features import feature_grid, feature_maps, most_active
from .kernels import apply_filters, kernel_figure
from .maximise import Dream, dream, dream_grid
from .patches import Patch, patches_grid, top_patches
from .plots import MissingMatplotlib, history_plot
from .probe import capture, get_layer, input_gradient, layer_names
from .receptive import FieldGeometry, Region, field_geometry, receptive_field_figure, receptive_region
from .report import Report, confusion_image, misclassified, mistakes_grid, training_report
from .weights import filter_grid, kernel_grid

__all__ = [
    "Animation", "ColorScale", "Dream", "FieldGeometry", "Grid", "MissingMatplotlib", "Patch", "Region", "Report",
    "Step", "animate", "apply_filters", "capture", "confusion_image", "dream", "dream_grid", "feature_grid",
    "feature_maps", "field_geometry", "filter_grid", "get_layer", "history_plot", "input_gradient", "kernel_figure",
    "kernel_grid", "layer_names", "misclassified", "mistakes_grid", "most_active", "patches_grid",
    "receptive_field_figure", "receptive_region", "save", "save_gif", "top_patches", "training_report",
]
