import pytest

from lowrank.training.slot_plan import (
    TrainingRequests,
    cpu_training_slots,
    gpu_share_slots,
    training_requests,
)


@pytest.mark.parametrize(
    ("gpus", "per_gpu", "local", "wanted"),
    [
        (0, 1, True, TrainingRequests(gpu=0, gpu_share=0, cpu_training=1)),
        (1, 1, True, TrainingRequests(gpu=1, gpu_share=0, cpu_training=0)),
        (1, 3, True, TrainingRequests(gpu=0, gpu_share=1, cpu_training=0)),
        # A cluster's job: a GPU of its own, no share, no slot of this machine.
        (1, 3, False, TrainingRequests(gpu=1, gpu_share=0, cpu_training=0)),
        (0, 1, False, TrainingRequests(gpu=0, gpu_share=0, cpu_training=0)),
    ],
)
def test_what_a_training_asks_for(gpus, per_gpu, local, wanted):
    assert training_requests(gpus, per_gpu, local) == wanted


def test_gpu_shares_follow_the_users_gpus_else_the_visible_ones():
    assert gpu_share_slots(2, 8, 3) == 6
    assert gpu_share_slots(None, 4, 2) == 8
    assert gpu_share_slots(None, 0, 2) == 2


@pytest.mark.parametrize(
    ("processors", "cores", "threads", "slots"),
    [(2, 8, 2, 1), (16, 8, 2, 4), (16, None, 2, 8), (2, 1, 2, 1), (32, 32, 1, 32)],
)
def test_cpu_slots_never_exceed_the_processors(processors, cores, threads, slots):
    assert cpu_training_slots(processors, cores, threads) == slots
