# Type stub for the compiled search kernel (_kernel.pyx).
from typing import Any

import numpy as np

class Table:
    def __init__(
        self,
        xyz: np.ndarray,
        ids: np.ndarray,
        masks: np.ndarray,
        expr: np.ndarray,
        open_state: np.ndarray,
    ) -> None: ...

class Cells:
    def __init__(
        self,
        keys: np.ndarray,
        pos: np.ndarray,
        lat0: float,
        lng0: float,
        ch: float,
        cw: float,
        nrows: int,
        ncols: int,
        wraps: bool,
    ) -> None: ...
    def __len__(self) -> int: ...
    def nearest(
        self,
        table: Table,
        lat: float,
        lng: float,
        qx: float,
        qy: float,
        qz: float,
        limit: int,
        bound2: float,
        need: int,
        open_now: bool,
        late: frozenset[int],
        penalty: float = 0.0,
    ) -> list[tuple[float, int, int]] | int: ...

RECORD_FIELDS: tuple[str, ...]

class RecordMaker:
    def __init__(
        self,
        record_cls: type,
        point_cls: type,
        ids: np.ndarray,
        lat: np.ndarray,
        lng: np.ndarray,
        area: np.ndarray,
        flags: np.ndarray,
        codes: np.ndarray,
        starts: np.ndarray,
        texts: tuple[str, ...],
        values: tuple[list[Any], ...],
    ) -> None: ...
    def make(self, row: int) -> Any: ...
