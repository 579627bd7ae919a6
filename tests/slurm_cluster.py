"""A throw-away single-node SLURM cluster for tests (needs root and Debian's
munge, slurmctld, slurmd and slurm-client packages)."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue")
CONF_DIR = Path("/etc/slurm")

SLURM_CONF = """\
ClusterName=lowrank-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MailProg=/bin/true
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmdSpoolDir={state}/slurmd
StateSaveLocation={state}/slurmctld
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
NodeName=localhost CPUs={cpus} RealMemory={memory} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def unavailable_reason():
    """Why this machine cannot host the cluster, or None if it can."""
    if os.geteuid() != 0:
        return "a single-node SLURM needs root"
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if missing:
        return f"missing {missing}: apt-get install munge slurmctld slurmd slurm-client"
    return None


@contextlib.contextmanager
def single_node_cluster(state, timeout=60):
    """Start munged, slurmctld and slurmd; yield the environment that reaches them."""
    state = Path(state)
    for folder in ("slurmd", "slurmctld", "munge"):
        (state / folder).mkdir(parents=True, exist_ok=True)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    # Job steps (srun inside sbatch) read the default location, not SLURM_CONF.
    conf = CONF_DIR / "slurm.conf"
    saved = _set_aside(conf, CONF_DIR / "gres.conf")
    conf.write_text(
        SLURM_CONF.format(state=state, cpus=os.cpu_count(), memory=memory // 2)
    )
    (CONF_DIR / "gres.conf").write_text("NodeName=localhost Name=gpu File=/dev/null\n")
    environ = dict(os.environ)
    key = state / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    socket = state / "munge" / "munge.socket"
    output = open(state / "daemons.out", "w")
    daemons = [
        subprocess.Popen(
            ["munged", "--foreground", "--force", f"--key-file={key}",
             f"--socket={socket}", f"--pid-file={state}/munged.pid",
             f"--log-file={state}/munged.log", f"--seed-file={state}/munge/seed"],
            env=environ, start_new_session=True, stdout=output, stderr=output,
        ),
    ]  # fmt: skip
    default_socket = None
    try:
        _wait_for(socket.exists, timeout, "munged did not start")
        default_socket = _point_munge_at(socket)
        for command in (["slurmctld", "-D", "-i"], ["slurmd", "-D", "-N", "localhost"]):
            daemons.append(
                subprocess.Popen(
                    [*command, "-f", str(conf)],
                    env=environ,
                    start_new_session=True,
                    stdout=output,
                    stderr=output,
                )
            )
        _wait_for(lambda: _node_state(environ) == "idle", timeout, _logs(state))
        yield environ
    finally:
        for daemon in reversed(daemons):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGTERM)
        for daemon in reversed(daemons):
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        output.close()
        _restore(saved)
        if default_socket is not None and default_socket.is_symlink():
            default_socket.unlink()


def _set_aside(*paths):
    """Move existing files out of the way; return what to put back."""
    saved = {}
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            saved[path] = path.with_name(path.name + ".lowrank-test-saved")
            path.rename(saved[path])
        else:
            saved[path] = None
    return saved


def _restore(saved):
    for path, backup in saved.items():
        path.unlink(missing_ok=True)
        if backup is not None:
            backup.rename(path)


def _point_munge_at(socket):
    """SLURM's munge plugin dials the default socket: link it to ours."""
    default = Path("/run/munge/munge.socket.2")
    default.parent.mkdir(parents=True, exist_ok=True)
    if default.is_symlink() or default.exists():
        default.unlink()
    default.symlink_to(socket)
    return default


def _node_state(environ):
    result = subprocess.run(
        ["sinfo", "-h", "-o", "%t"], env=environ, capture_output=True, text=True
    )
    return result.stdout.strip()


def _wait_for(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(message() if callable(message) else message)
        time.sleep(0.5)


def _logs(state):
    def read():
        parts = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log", "daemons.out"):
            path = state / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text()[-2000:]}")
        return "SLURM node never became idle:\n" + "\n".join(parts)

    return read


STUB_SBATCH = """\
#!{python}
# Records each submission's flags, then submits it without the account and
# quality of service, which this cluster (no accounting) does not know.
import json, os, sys
with open({log!r}, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args, skip = [], False
for arg in sys.argv[1:]:
    if skip:
        skip = False
    elif arg in ("-A", "--account"):
        skip = True
    elif not arg.startswith(("--account=", "--qos=")):
        args.append(arg)
os.execv({sbatch!r}, [{sbatch!r}, *args])
"""


def recording_sbatch(folder, log, accounts=("lab",)):
    """A folder to put first on PATH: an ``sbatch`` that writes each call's
    arguments (one JSON list per line) to ``log`` before passing it on, and a
    ``sacctmgr`` that lists ``accounts`` as the user's."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stubs = {
        "sbatch": STUB_SBATCH.format(
            python=sys.executable, log=str(log), sbatch=shutil.which("sbatch")
        ),
        "sacctmgr": "#!/bin/sh\nprintf '%s\\n' " + " ".join(accounts) + "\n",
    }
    for name, text in stubs.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return folder


def submissions(log):
    """Each recorded sbatch call's arguments."""
    return [json.loads(line) for line in Path(log).read_text().splitlines()]


# The lines of profiles/slurm a user fills in, as its comments say.
FILLED_IN = {
    "# default-resources:": "default-resources:",
    '#   slurm_account: "my_account"': '  slurm_account: "lab"',
    '#   slurm_partition: "my_partition"': '  slurm_partition: "debug"',  # ours
    '#   qos: "my_qos"': '  qos: "normal"',
}


def users_profile(study):
    """A copy of the shipped SLURM profile with account, partition and
    quality of service filled in."""
    text = (study / "profiles" / "slurm" / "profile.yaml").read_text()
    for commented, filled in FILLED_IN.items():
        assert commented in text
        text = text.replace(commented, filled)
    folder = study / "profiles" / "mine"
    folder.mkdir()
    (folder / "profile.yaml").write_text(text)
    return folder
