"""Argon2 within a Pi's memory: its parameters, old hashes, and how many checks run at once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from hub import learners
from hub.home import Hub
from hub.learners import LearnerError, Role

PI_PARAMETERS = "$argon2id$v=19$m=19456,t=2,p=1$"
HASHING_SLOTS = 2  # hub.passwords.HASHING_SLOTS
CHECK_MIB = 19  # hub.passwords.MEMORY_KIB in MiB


def stored_hash(hub: Hub, name: str) -> str:
    return hub.db.execute("SELECT pin_hash FROM learners WHERE name = ?", [name]).fetchone()[0]


def test_new_hashes_use_19_mib_two_passes_one_lane(hub: Hub):
    learners.create_account(hub.db, "Ada", Role.ADMIN, "admin-password")
    assert stored_hash(hub, "Ada").startswith(PI_PARAMETERS)


def test_an_old_hash_still_signs_in_and_is_remade_with_todays_parameters(hub: Hub):
    learners.create_account(hub.db, "Ada", Role.ADMIN, "admin-password")
    old = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash("admin-password")
    hub.db.execute("UPDATE learners SET pin_hash = ? WHERE name = 'Ada'", [old])
    assert learners.check_sign_in(hub.db, "Ada", "admin-password").name == "Ada"
    assert stored_hash(hub, "Ada").startswith(PI_PARAMETERS)
    assert learners.check_sign_in(hub.db, "Ada", "admin-password").name == "Ada"


def test_a_wrong_pin_storm_runs_no_more_argon2_checks_at_once_than_the_slots(hub: Hub, monkeypatch):
    """Each check holds its memory_cost of RAM: twelve sign-ins at once must not hold twelve."""
    names = [f"Learner {number}" for number in range(12)]
    for name in names:
        learners.create_account(hub.db, name, Role.LEARNER, "1234")
    running, most = [0], [0]
    lock = threading.Lock()

    def slow_wrong_check(self, secret_hash, secret):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for the others to arrive, if nothing holds them back
        with lock:
            running[0] -= 1
        raise VerifyMismatchError()

    monkeypatch.setattr(PasswordHasher, "verify", slow_wrong_check)
    start = threading.Barrier(len(names))

    def guess(number: int) -> None:
        start.wait()
        with pytest.raises(LearnerError):
            learners.check_sign_in(hub.db, names[number], "0000", client=f"10.0.0.{number}")

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most[0] <= HASHING_SLOTS


STORM = """
import json, sys, threading
from pathlib import Path
from hub import learners
from hub.home import Hub

def mib(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field)) / 1024

hub = Hub(Path(sys.argv[1]))
for number in range(12):
    learners.create_account(hub.db, f"Learner {number}", learners.Role.LEARNER, "1234")
start = mib("VmRSS")

def guess(number):
    try:
        learners.check_sign_in(hub.db, f"Learner {number}", "0000", client=f"10.0.0.{number}")
    except learners.LearnerError:
        pass

threads = [threading.Thread(target=guess, args=(number,)) for number in range(12)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"peak": mib("VmHWM") - start, "kept": mib("VmRSS") - start}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_wrong_pin_storm_holds_the_memory_of_the_slots_and_keeps_none(tmp_path: Path):
    """Twelve wrong PINs at once: at most two checks' memory at the peak, nothing kept after."""
    run = subprocess.run(
        [sys.executable, "-c", STORM, str(tmp_path / "home")], capture_output=True, text=True, check=True
    )
    memory = json.loads(run.stdout)
    assert memory["peak"] < (HASHING_SLOTS + 1) * CHECK_MIB, memory
    assert memory["kept"] < CHECK_MIB, memory
