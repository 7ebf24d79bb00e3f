"""Kernel descriptions: KernelSpec, its YAML form, and occupancy."""

from gpusim.kernels.io import dump_spec, load_spec, spec_from_dict, spec_parameters, spec_to_dict
from gpusim.kernels.occupancy import Occupancy, occupancy
from gpusim.kernels.spec import Instructions, KernelSpec, MemoryAccess, Phase

__all__ = ["Instructions", "KernelSpec", "MemoryAccess", "Occupancy", "Phase", "dump_spec", "load_spec",
           "occupancy", "spec_from_dict", "spec_parameters", "spec_to_dict"]
