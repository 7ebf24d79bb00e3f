"""What a sampled run records: per basic block and warp, executions and active lanes; per memory
instruction and warp, requests and 32-byte sectors, plus address samples for classifying the pattern."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gpusim.analyze.interp import Lanes
    from gpusim.analyze.ptx import PtxKernel

SECTOR_SHIFT = 5  # 32-byte sectors
WARP_SHIFT = 37  # sector ids stay below 2**37 (addresses below 2**42)
MAX_SAMPLES = 48  # address samples kept per instruction
COMPACT_AT = 1 << 20


@dataclass
class AccessLog:
    """One memory instruction: per warp, requests (executions with an active lane) and sectors."""

    space: str  # "global" or "shared" ("local" is counted as global)
    op: str  # "load", "store" or "atomic"
    nbytes: int
    requests: np.ndarray
    sectors: np.ndarray
    wavefronts: np.ndarray  # shared memory: per warp, summed over its requests (see `Trace._wavefronts`)
    sector_ids: list[np.ndarray] = field(default_factory=list)
    n_sector_ids: int = 0
    samples: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (warp, lane, address)
    addresses_seen: set[int] = field(default_factory=set)  # atomics only, up to a few
    regions: set[int] = field(default_factory=set)

    def _keys(self) -> np.ndarray:
        if not self.sector_ids:
            return np.zeros(0, dtype=np.uint64)
        if len(self.sector_ids) > 1:
            self.sector_ids = [np.unique(np.concatenate(self.sector_ids))]
        return self.sector_ids[0]

    def distinct_sectors(self) -> int:
        """Distinct sectors over all sampled blocks."""
        keys = self._keys()
        return int(np.unique(keys & np.uint64((1 << WARP_SHIFT) - 1)).size)

    def distinct_sectors_per_block(self, n_slots: int) -> np.ndarray:
        """Distinct sectors each sampled block touched."""
        keys = self._keys()
        return np.bincount((keys >> np.uint64(WARP_SHIFT)).astype(np.int64), minlength=n_slots)


class Trace:
    """Counters filled by the interpreter."""

    def __init__(self, kernel: PtxKernel, lanes: Lanes) -> None:
        self.lanes = lanes
        n_blocks, n_warps = len(kernel.blocks), lanes.n_warps
        self.block_execs = np.zeros((n_blocks, n_warps), dtype=np.int64)
        self.block_lanes = np.zeros((n_blocks, n_warps), dtype=np.int64)
        self.accesses: dict[int, AccessLog] = {}
        self.steps = 0

    def block_executed(self, block: int, mask: np.ndarray) -> None:
        per_warp = np.bincount(self.lanes.warp[mask], minlength=self.lanes.n_warps)
        self.block_execs[block] += per_warp > 0
        self.block_lanes[block] += per_warp

    def access(self, ins_index: int, space: str, op: str, nbytes: int, idx: np.ndarray, addrs: np.ndarray,
               region: int = -1) -> None:
        """Lanes ``idx`` (sorted) of one executed memory instruction touched ``addrs`` (bytes)."""
        log = self.accesses.get(ins_index)
        w = self.lanes.n_warps
        if log is None:
            log = self.accesses[ins_index] = AccessLog(space, op, nbytes, np.zeros(w, np.int64),
                                                       np.zeros(w, np.int64), np.zeros(w, np.float64))
        warps = self.lanes.warp[idx].astype(np.uint64)
        addrs = addrs.astype(np.uint64)
        if region >= 0:
            log.regions.add(region)
        if space == "shared":
            log.wavefronts += self._wavefronts(nbytes, warps, self.lanes.laneid[idx], addrs)
        first = addrs >> np.uint64(SECTOR_SHIFT)
        last = (addrs + np.uint64(nbytes - 1)) >> np.uint64(SECTOR_SHIFT)
        sectors = np.concatenate([first, last[last != first]]) if nbytes > 1 else first
        owners = np.concatenate([warps, warps[last != first]]) if nbytes > 1 else warps
        keys = np.unique((owners << np.uint64(WARP_SHIFT)) | sectors)
        per_warp = np.bincount((keys >> np.uint64(WARP_SHIFT)).astype(np.int64), minlength=w)
        log.sectors += per_warp
        log.requests += per_warp > 0
        if space == "global":
            slots = self.lanes.slot[idx].astype(np.uint64)
            owner_slots = np.concatenate([slots, slots[last != first]]) if nbytes > 1 else slots
            log.sector_ids.append(np.unique((owner_slots << np.uint64(WARP_SHIFT)) | sectors))
            log.n_sector_ids += log.sector_ids[-1].size
            if log.n_sector_ids > COMPACT_AT:
                merged = np.unique(np.concatenate(log.sector_ids))
                log.sector_ids, log.n_sector_ids = [merged], merged.size
        if len(log.samples) < MAX_SAMPLES:
            log.samples.append((self.lanes.warp[idx], self.lanes.laneid[idx], addrs))
        if op == "atomic" and len(log.addresses_seen) < 4:
            log.addresses_seen.update(int(a) for a in np.unique(addrs)[:4])

    def _wavefronts(self, nbytes: int, warps: np.ndarray, lanes: np.ndarray, addrs: np.ndarray) -> np.ndarray:
        """Shared-memory wavefronts of one request, per warp (0 where the warp had no active lane).

        Shared memory returns 128 bytes (one 4-byte word per bank) per wavefront. Up to 4-byte accesses:
        the most distinct words any bank must deliver (lanes reading one word share it). 8- and 16-byte
        accesses go by half- and quarter-warps (the lanes whose data fill 128 bytes), each taking the
        most distinct words of a bank among its lanes' words; when lane pairs (n and n^1, or n and n^2)
        read the same address the hardware packs their data and a wavefront serves twice the lanes (an
        ``LDS.128`` whose lanes 0-15 and 16-31 each read one address takes 2 wavefronts on sm_90, not 4:
        NVIDIA developer forum, "Discrepancy in LDS.128 wavefronts")."""
        n_warps = self.lanes.n_warps
        warp = warps.astype(np.int64)
        lane = lanes.astype(np.int64)
        addr = addrs.astype(np.int64)
        words_per_lane = max(1, nbytes // 4)
        if nbytes <= 4:
            group = np.zeros_like(lane)
        else:
            dense = np.full((n_warps, 32), -1, dtype=np.int64)
            dense[warp, lane] = addr
            active = dense >= 0
            uniform = np.zeros(n_warps, dtype=bool)
            for x in (1, 2):
                partner = np.arange(32) ^ x
                both = active & active[:, partner]
                uniform |= np.all(~both | (dense == dense[:, partner]), axis=1)
            lanes_per_wave = (128 // nbytes) * np.where(uniform[warp], 2, 1)
            group = lane // lanes_per_wave
        word = (addr >> 2)[:, None] + np.arange(words_per_lane)[None, :]
        owner = np.repeat(warp * 8 + group, words_per_lane)
        keys = np.unique((owner.astype(np.uint64) << np.uint64(32)) | word.ravel().astype(np.uint64))
        owner_of = (keys >> np.uint64(32)).astype(np.int64)
        bank = (keys & np.uint64(31)).astype(np.int64)
        per_bank = np.bincount(owner_of * 32 + bank, minlength=n_warps * 8 * 32).reshape(n_warps * 8, 32)
        return per_bank.max(axis=1).reshape(n_warps, 8).sum(axis=1).astype(np.float64)
