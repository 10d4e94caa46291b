import time

import numpy as np
import pytest

from benchmarks.search import address_space_cap

GIB = 2**30


def test_the_address_space_cap_refuses_a_large_allocation_and_is_lifted_after_the_block():
    with address_space_cap(GIB // 4, seconds=60), pytest.raises(MemoryError):
        np.empty(2 * GIB, dtype=np.uint8)
    assert np.empty(2 * GIB, dtype=np.uint8).nbytes == 2 * GIB  # virtual only: the pages are never touched


def test_the_address_space_cap_is_lifted_when_its_time_is_up():
    with address_space_cap(GIB // 4, seconds=0.2):
        time.sleep(0.6)  # fastText trains its best arguments again after its budget: uncapped by then
        assert np.empty(2 * GIB, dtype=np.uint8).nbytes == 2 * GIB
