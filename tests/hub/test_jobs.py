import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hub import jobs
from hub.home import Hub
from hub.jobs import JobError, Report


def count_to(hub: Hub, params: dict[str, Any], report: Report) -> dict[str, Any]:
    for step in range(1, params["to"] + 1):
        report(step, params["to"], f"step {step}")
    return {"counted": params["to"]}


def refuse(hub: Hub, params: dict[str, Any], report: Report) -> None:
    raise JobError("This file is not a video.")


def crash(hub: Hub, params: dict[str, Any], report: Report) -> None:
    raise RuntimeError("disk on fire")


KINDS = {"count": count_to, "refuse": refuse, "crash": crash}


def test_a_queued_job_runs_and_records_its_result(hub: Hub):
    job_id = jobs.submit(hub.db, "count", {"to": 3}, created_by="tutor-1")
    assert jobs.get_job(hub.db, job_id).state == "queued"
    assert jobs.run_queued(hub, KINDS) == 1
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.result, job.done, job.total, job.percent) == ("done", {"counted": 3}, 3, 3, 100)
    assert job.created_by == "tutor-1"


def test_a_job_error_fails_at_once_with_its_message(hub: Hub):
    job_id = jobs.submit(hub.db, "refuse", {})
    jobs.run_queued(hub, KINDS)
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.attempts, job.message) == ("failed", 1, "This file is not a video.")


def test_an_unexpected_error_is_retried_then_fails(hub: Hub):
    job_id = jobs.submit(hub.db, "crash", {})
    assert jobs.run_queued(hub, KINDS) == jobs.MAX_ATTEMPTS
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.attempts) == ("failed", jobs.MAX_ATTEMPTS)
    assert "disk on fire" in job.message


def test_kinds_this_process_does_not_know_wait(hub: Hub):
    job_id = jobs.submit(hub.db, "transcode", {})
    assert jobs.run_queued(hub, KINDS) == 0
    assert jobs.get_job(hub.db, job_id).state == "queued"


def test_background_work_waits_behind_a_job_someone_is_waiting_for(hub: Hub):
    speech = [jobs.submit(hub.db, "speech", {"course": n}, background=True) for n in range(3)]
    export = jobs.submit(hub.db, "export", {})
    order = [jobs.claim_next(hub.db, {"speech", "export"}) for _ in range(4)]
    assert [job.id for job in order if job] == [export, *speech]


def test_a_long_job_lets_the_hub_stop_and_runs_again_later(hub: Hub):
    started = threading.Event()

    def forever(hub: Hub, params: dict[str, Any], report: Report) -> None:
        started.set()
        for step in range(10_000):
            report(step, 10_000, "reading")
            time.sleep(0.01)

    job_id = jobs.submit(hub.db, "forever", {}, background=True)
    runner = jobs.JobRunner(hub, {"forever": forever})
    assert started.wait(10)
    stopping_at = time.monotonic()
    runner.stop()
    assert time.monotonic() - stopping_at < 5 and runner.stopped
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.attempts) == ("queued", 0)  # back in the queue, the attempt not counted


def test_a_job_waiting_for_a_slow_child_process_lets_the_hub_stop_and_the_child_dies(
    hub: Hub, tmp_path: Path
):
    """Speech for one long lesson is one voice process: the hub's stop must not wait for it."""
    pid_file = tmp_path / "child.pid"

    def slow_child(hub: Hub, params: dict[str, Any], report: Report) -> None:
        script = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
        jobs.run_child([sys.executable, "-c", script], lambda: report(0, 1, "reading"))

    job_id = jobs.submit(hub.db, "slow", {}, background=True)
    runner = jobs.JobRunner(hub, {"slow": slow_child})
    deadline = time.monotonic() + 10
    while not (pid_file.is_file() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    stopping_at = time.monotonic()
    runner.stop()
    assert time.monotonic() - stopping_at < 5 and runner.stopped
    assert jobs.get_job(hub.db, job_id).state == "queued"
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_recent_jobs_show_unfinished_first(hub: Hub):
    first = jobs.submit(hub.db, "count", {"to": 1})
    jobs.run_queued(hub, KINDS)
    second = jobs.submit(hub.db, "count", {"to": 1})
    jobs.submit(hub.db, "other", {})
    assert [job.id for job in jobs.recent_jobs(hub.db, {"count"})] == [second, first]


def test_a_job_left_running_by_a_dead_process_is_queued_again(hub: Hub):
    job_id = jobs.submit(hub.db, "count", {"to": 2})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    owner = f"{os.uname().nodename}:{jobs._boot_id()}:{int(dead.stdout)}"
    hub.db.execute("UPDATE jobs SET state = 'running', owner = ?, attempts = 1 WHERE id = ?", [owner, job_id])
    assert jobs.requeue_orphans(hub.db) == 1
    assert jobs.get_job(hub.db, job_id).message == "Interrupted; it will run again."
    jobs.run_queued(hub, KINDS)
    assert jobs.get_job(hub.db, job_id).state == "done"


def test_a_job_running_in_a_live_process_is_left_alone(hub: Hub):
    job_id = jobs.submit(hub.db, "count", {"to": 2})
    hub.db.execute(
        "UPDATE jobs SET state = 'running', owner = ? WHERE id = ?",
        [f"{os.uname().nodename}:{jobs._boot_id()}:1", job_id],
    )
    assert jobs.requeue_orphans(hub.db) == 0


def test_a_job_claimed_before_a_reboot_is_queued_again_even_if_its_pid_is_reused(hub: Hub):
    job_id = jobs.submit(hub.db, "count", {"to": 2})
    owner = f"{os.uname().nodename}:an-earlier-boot:{os.getpid()}"  # the same pid, another boot
    hub.db.execute("UPDATE jobs SET state = 'running', owner = ? WHERE id = ?", [owner, job_id])
    assert jobs.requeue_orphans(hub.db) == 1


def test_the_runner_thread_picks_up_a_submitted_job(hub: Hub):
    runner = jobs.start_runner(hub, KINDS)
    try:
        job_id = jobs.submit(hub.db, "count", {"to": 5})
        deadline = time.monotonic() + 10
        while not jobs.get_job(hub.db, job_id).finished and time.monotonic() < deadline:
            time.sleep(0.02)
        assert jobs.get_job(hub.db, job_id).state == "done"
    finally:
        runner.stop()
    assert jobs.start_runner(hub, KINDS) is not runner  # a stopped runner is replaced
    jobs.start_runner(hub, KINDS).stop()


SLOW_JOB = """
import sys, time
from pathlib import Path
from hub import jobs
from hub.home import Hub

def slow(hub, params, report):
    Path(params["started"]).touch()
    time.sleep(60)

hub = Hub(Path(sys.argv[1]))
jobs.run_queued(hub, {"slow": slow})
"""


def test_a_job_killed_mid_run_runs_again_after_a_restart(tmp_path: Path):
    """SIGKILL the process running a job; the next runner finishes it."""
    hub = Hub(tmp_path / "home")
    started = tmp_path / "started"
    job_id = jobs.submit(hub.db, "slow", {"started": str(started)})
    process = subprocess.Popen([sys.executable, "-c", SLOW_JOB, str(hub.home)])
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jobs.get_job(hub.db, job_id).state == "running"
    finally:
        process.kill()
        process.wait()
    assert jobs.requeue_orphans(hub.db) == 1
    assert jobs.run_queued(hub, {"slow": lambda hub, params, report: {"finished": True}}) == 1
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.attempts, job.result) == ("done", 2, {"finished": True})


def test_finished_jobs_are_forgotten_after_a_month_and_waiting_ones_never(hub: Hub):
    old_done, old_waiting = jobs.submit(hub.db, "count", {"to": 1}), jobs.submit(hub.db, "other", {})
    jobs.run_queued(hub, KINDS)
    recent = jobs.submit(hub.db, "count", {"to": 1})
    jobs.run_queued(hub, KINDS)
    hub.db.execute("UPDATE jobs SET updated_at = '2026-01-01T00:00:00+00:00' WHERE id IN (?, ?)",
                   [old_done, old_waiting])  # fmt: skip
    assert jobs.forget_finished(hub.db) == 1
    assert jobs.get_job(hub.db, old_done) is None
    assert jobs.get_job(hub.db, old_waiting).state == "queued" and jobs.get_job(hub.db, recent) is not None
