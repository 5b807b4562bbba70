"""convnet.train: the training loop, metrics, checkpoints and whole runs.

=================  ============================================================
loop.py            Trainer (fit, validation, history, checkpoints, resume), evaluate,
                   predict_logits (with test-time flips)
metrics.py         top-1/top-5, per-class accuracy, confusion matrix
recipes.py         the table of named training recipes (model, dataset, optimizer, ...)
run.py             TrainConfig and run_training, what `convnet train` calls
=================  ============================================================
"""

from ..io.atomic import atomic_write_bytes, atomic_write_text
from ..io.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .loop import TTA_MODES, Trainer, TrainingDiverged, TrainingInterrupted, evaluate, predict_logits, tta_of
from .metrics import ClassificationMetrics, topk_correct
from .recipes import RECIPES, Recipe, choose_recipe, get_recipe
from .run import RunResult, TrainConfig, default_recipe, run_training

__all__ = ["RECIPES", "TTA_MODES", "Checkpoint", "CheckpointError", "ClassificationMetrics", "Recipe", "RunResult",
           "TrainConfig", "Trainer", "TrainingDiverged", "TrainingInterrupted", "atomic_write_bytes",
           "atomic_write_text", "choose_recipe", "default_recipe", "evaluate", "get_recipe", "load_checkpoint",
           "predict_logits", "run_training", "save_checkpoint", "topk_correct", "tta_of"]
