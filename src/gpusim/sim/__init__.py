"""SimPy components, one hardware level each: gpu (block scheduler), sm, memory, pcie, streams."""
