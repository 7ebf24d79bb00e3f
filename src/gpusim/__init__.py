"""gpusim: predict how CUDA work runs on NVIDIA A100, H100 and H200 GPUs without a GPU."""

from gpusim.errors import GpusimError, ModelError, SpecError
from gpusim.hardware import GpuModel, load_model, peaks

__version__ = "0.1.0"
__all__ = ["GpuModel", "GpusimError", "ModelError", "SpecError", "__version__", "load_model", "peaks"]
