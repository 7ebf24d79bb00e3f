"""Hardware models: schema, loader and derived figures."""

from gpusim.hardware.derived import Peaks, peaks
from gpusim.hardware.loader import LoadedModel, load_model, load_model_with_sources, models_dir, shipped_model_names
from gpusim.hardware.schema import Architecture, GpuModel, MigProfile

__all__ = [
    "Architecture",
    "GpuModel",
    "LoadedModel",
    "MigProfile",
    "Peaks",
    "load_model",
    "load_model_with_sources",
    "models_dir",
    "peaks",
    "shipped_model_names",
]
