"""convnet.train: the training loop, metrics, checkpoints and whole runs.

=================  ============================================================
loop.py            Trainer (fit, validation, history, checkpoints, resume), evaluate
metrics.py         top-1/top-5, per-class accuracy, confusion matrix
run.py             recipes and run_training, what `convnet train` calls
=================  ============================================================
"""

from ..io.atomic import atomic_write_bytes, atomic_write_text
from ..io.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .loop import Trainer, TrainingDiverged, TrainingInterrupted, evaluate
from .metrics import ClassificationMetrics, topk_correct
from .run import Recipe, RunResult, TrainConfig, default_recipe, run_training

__all__ = ["Checkpoint", "CheckpointError", "ClassificationMetrics", "Recipe", "RunResult", "TrainConfig",
           "Trainer", "TrainingDiverged", "TrainingInterrupted", "atomic_write_bytes", "atomic_write_text",
           "default_recipe", "evaluate", "load_checkpoint", "run_training", "save_checkpoint", "topk_correct"]
