#!/usr/bin/env python3
"""Reliability probes against the real service (`patron-services serve --demo`) on loopback.

Each probe repeats an attack or failure from the "Hold under hostile load" issue and asserts the fixed
behaviour. Every loop is bounded in count and time; the service and its embedded PostgreSQL run in a
temporary folder and are stopped at the end. Usage: python3 Tests/reliability/run.py [path to binary]
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "patron-services")
PG_BIN = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
PG_CTL = f"/usr/lib/postgresql/{PG_BIN}/bin/pg_ctl"
PSQL = f"/usr/lib/postgresql/{PG_BIN}/bin/psql"
results = []


class Service:
    """`serve --demo` in its own folder, on a free port, with the given extra environment."""

    def __init__(self, folder, env=None, read_log=True):
        os.chmod(folder, 0o755)  # the postgres user runs the embedded cluster inside it
        self.folder = folder
        self.port = free_port()
        environment = dict(os.environ, DATABASE_EMBEDDED_DIRECTORY=os.path.join(folder, "pg"), LOG_LEVEL="warning",
                           SQL_DIRECTORY=os.path.join(ROOT, "sql"))
        environment.update(env or {})
        self.log = open(os.path.join(folder, "service.log"), "w")
        self.process = subprocess.Popen([BINARY, "serve", "--demo", "--port", str(self.port)], cwd=folder,
                                        stdout=subprocess.PIPE, stderr=self.log, env=environment, text=True)
        self.credentials = {}
        deadline = time.time() + 180
        for line in self.process.stdout:
            for key, pattern in [("admin", r"consortium admin token\s+(\S+)"), ("library", r"library admin token\s+(\S+)"),
                                 ("staff", r"circulation staff token\s+(\S+)"), ("pac", r"PAC client key\s+(\S+)"),
                                 ("barcode", r"barcode (\S+), PIN"), ("exports", r"^(export .*\S)\s*$")]:
                match = re.search(pattern, line)
                if match:
                    self.credentials[key] = match.group(1).rstrip(",")
            # The export line (for the README tour) is the last line of the credentials.
            if "exports" in self.credentials or time.time() > deadline:
                break
        if read_log:  # else nobody reads standard output (the log) once the credentials are in
            threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()
        while time.time() < deadline:
            try:
                if self.get("/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the service did not become ready")

    def request(self, method, path, body=None, headers=None, source=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                                source_address=(source, 0) if source else None)
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None,
                               headers={"content-type": "application/json", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get(self, path, token=None):
        return self.request("GET", path, headers={"authorization": f"Bearer {token}"} if token else None)

    def sign_in(self, barcode, pin, source=None):
        return self.request("POST", "/pac/v1/sign-in", {"barcode": barcode, "pin": pin},
                            headers={"x-pac-client-key": self.credentials["pac"]}, source=source)[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(name):
    def wrap(function):
        def run(service):
            started = time.time()
            try:
                function(service)
                results.append((name, True, ""))
                print(f"✔ {name} ({time.time() - started:.1f} s)", flush=True)
            except Exception as error:  # an assertion, or the probe itself failing: both fail the probe
                results.append((name, False, repr(error)))
                print(f"✘ {name}: {error!r}", flush=True)
        run.probe_name = name
        return run
    return wrap


def as_postgres(*command):
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120)


def psql(service, user, sql):
    socket_dir = os.path.join(service.folder, "pg", "run")
    result = as_postgres(PSQL, "-h", socket_dir, "-p", "55432", "-U", user, "-d", "patron_services", "-AtX", "-c", sql)
    return result.returncode, (result.stdout + result.stderr).strip()


@probe("a report login is bound to its library: settings it sets change nothing, PIN hashes are unreadable, advisory locks are refused")
def report_login(service):
    created = subprocess.run([BINARY, "report-login", "create", "--institution", "1", "--name", "report_probe"],
                             cwd=service.folder, capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, DATABASE_EMBEDDED_DIRECTORY=os.path.join(service.folder, "pg"),
                                      SQL_DIRECTORY=os.path.join(ROOT, "sql"), DATABASE_MIGRATEONSTART="false"))
    assert created.returncode == 0, created.stderr[-500:]
    _, own = psql(service, "report_probe", "select count(*) from ps.patron")
    _, everyone = psql(service, "report_probe", "select count(distinct institution_id) from ps.patron")
    assert int(own) > 0 and everyone == "1", f"own={own} institutions={everyone}"
    _, posed = psql(service, "report_probe",
                    "set ps.institution_id = '2'; set ps.role = 'consortium_admin'; select count(*) from ps.patron")
    assert posed.splitlines()[-1] == own, f"posing changed what it sees: {posed}"
    code, secret = psql(service, "report_probe", "select pin_hash from ps.patron limit 1")
    assert code != 0 and "permission denied" in secret, secret
    # Holding an advisory lock would stall the library's imports, sign-ins or bills.
    code, locked = psql(service, "report_probe", "select pg_advisory_lock(hashtextextended('ps.import:1', 0))")
    assert code != 0 and "permission denied" in locked, locked


@probe("failures from one address lock that address, not the other patrons of the public PAC key")
def lockout_abuse(service):
    for attempt in range(50):
        service.sign_in(f"9999{attempt:06d}", "0000", source="127.0.0.2")
    assert service.sign_in(service.credentials["barcode"], "1234", source="127.0.0.2") == 429
    assert service.sign_in(service.credentials["barcode"], "1234", source="127.0.0.3") == 201


@probe("40 concurrent wrong PINs for one barcode: at most 5 are checked, the rest are locked")
def pin_race(service):
    _, barcode = psql(service, "postgres", "select barcode from ps.patron order by patron_id offset 10 limit 1")
    statuses = []
    threads = [threading.Thread(target=lambda i=i: statuses.append(service.sign_in(barcode, f"9{i:03d}", source=f"127.0.1.{i + 1}")))
               for i in range(40)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert statuses.count(401) <= 5 and statuses.count(429) >= 35, f"401: {statuses.count(401)}, 429: {statuses.count(429)}"


@probe("hostile inputs are 4xx problems, never 500")
def hostile_inputs(service):
    staff = {"authorization": f"Bearer {service.credentials['staff']}"}
    cases = [
        ("POST", "/staff/v1/patrons", '{"barcode":"X\\u0000","firstName":"A","lastName":"B"}'),
        ("POST", "/staff/v1/bills", '{"patronId":1,"kind":"other","amountMinor":9223372036854775807}'),
        ("POST", "/staff/v1/patrons/1/suspensions", '{"minutes":2147483647}'),
        ("POST", "/staff/v1/checkouts", '{"patronId":1,"itemBarcode":"X","branchId":1,"dueAt":"2024-02-30T00:00:00Z"}'),
        ("POST", "/staff/v1/tokens", '{"role":"circulation_staff","institutionId":1,"expiresAt":"2020-01-01T00:00:00Z"}'),
        ("GET", "/staff/v1/patrons?name=%00", None),
        ("POST", "/staff/v1/patrons", "{"),
        ("POST", "/staff/v1/patrons", " " * 200_000),
    ]
    for method, path, body in cases:
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        connection.request(method, path, body=body, headers={"content-type": "application/json", **staff})
        response = connection.getresponse()
        response.read()
        connection.close()
        assert 400 <= response.status < 500, f"{method} {path} {body[:40] if body else ''}: {response.status}"


@probe("300 idle connections against a limit of 64 cannot keep /health out")
def idle_flood(service_unused):
    folder = tempfile.mkdtemp(prefix="ps-flood-")
    limited = Service(folder, {"HTTP_MAXCONNECTIONS": "64", "HTTP_REQUESTHEADERTIMEOUTSECONDS": "2"})
    try:
        sockets = []
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", limited.port), timeout=5)
            sockets.append(s)
        # Every slot is held by an idle connection: a newcomer takes the place of the one idle longest.
        status = limited.get("/health")[0]
        assert status == 200, f"/health answered {status} during the flood"
        for s in sockets:
            s.close()
    finally:
        limited.stop()
        shutil.rmtree(folder, ignore_errors=True)


@probe("shutdown under load: every request sent gets a whole answer (Connection: close while draining)")
def shutdown_under_load(service_unused):
    folder = tempfile.mkdtemp(prefix="ps-drain-")
    target = Service(folder)
    token = target.credentials["staff"]
    broken, answered = [], [0]
    stop = threading.Event()

    def client():
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
                    connection.connect()
            except OSError:
                connection = None
                stop.wait(0.05)  # refused: the server is gone; nothing was sent
                continue
            try:
                connection.request("GET", "/staff/v1/patrons?name=B", headers={"authorization": f"Bearer {token}"})
                response = connection.getresponse()
                response.read()
                answered[0] += 1
                if response.getheader("connection", "").lower() == "close" or response.status >= 500:
                    if response.status >= 500 and response.status != 503:
                        broken.append(response.status)
                    connection.close()
                    connection = None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                broken.append(repr(error))
                connection = None
    threads = [threading.Thread(target=client) for _ in range(8)]
    [t.start() for t in threads]
    time.sleep(2)
    target.stop()
    stop.set()
    [t.join(60) for t in threads]
    shutil.rmtree(folder, ignore_errors=True)
    assert answered[0] > 0 and not broken, f"answered {answered[0]}, broken {len(broken)}: {broken[:3]}"


@probe("a log reader that stops reading stops nothing: 2,000 requests answered, each logged at info, and SIGTERM still ends the service")
def stalled_log_reader(service_unused):
    folder = tempfile.mkdtemp(prefix="ps-stalled-log-")
    # 2,000 access-log lines are some 500 KB: the pipe (64 KiB) fills within the first 300 requests.
    target = Service(folder, {"LOG_LEVEL": "info"}, read_log=False)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        statuses = []
        for _ in range(2000):
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        assert statuses.count(200) == 2000, f"{statuses.count(200)} of 2000 answered 200"
    finally:
        target.stop()
        shutil.rmtree(folder, ignore_errors=True)
    assert target.process.returncode != -signal.SIGKILL, "the service had to be killed: its shutdown waited for the log's reader"


@probe("concurrent resends of one Idempotency-Key all get the first answer")
def idempotent_resends(service):
    pac = {"x-pac-client-key": service.credentials["pac"]}
    status, body = service.request("POST", "/pac/v1/sign-in", {"barcode": service.credentials["barcode"], "pin": "1234"},
                                   headers=pac, source="127.0.2.1")
    assert status == 201, status
    session = json.loads(body)["sessionToken"]
    account = json.loads(service.request("GET", "/pac/v1/account", headers={**pac, "authorization": f"Bearer {session}"})[1])
    library = {"authorization": f"Bearer {service.credentials['library']}"}
    codes = [t["code"] for t in json.loads(service.request("GET", "/staff/v1/patron-types", headers=library)[1])]
    status, body = service.request("PUT", "/staff/v1/patron-access-options", headers=library, body={
        "level": "library", "institutionId": account["institutionId"],
        "options": {"changeNotificationMethod": True, "updatePatronTypes": codes}})
    assert status == 200, (status, body[:200])
    answers = []
    headers = {**pac, "authorization": f"Bearer {session}", "idempotency-key": "probe-resend-1"}
    threads = [threading.Thread(target=lambda: answers.append(service.request("POST", "/pac/v1/change-requests",
                                                                              {"notificationMethod": "email"}, headers=headers)))
               for _ in range(10)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    statuses = {status for status, _ in answers}
    bodies = {body for _, body in answers}
    assert len(answers) == 10 and len(bodies) == 1 and len(statuses) == 1 and statuses.pop() < 500, f"{statuses}, {len(bodies)} bodies"


@probe("sign-in takes as long for an unknown barcode as for a known one (rank-sum over 40 tries each)")
def sign_in_timing(service):
    def timed(barcode, source):
        started = time.perf_counter()
        service.sign_in(barcode, "0000", source=source)
        return time.perf_counter() - started
    _, listed = psql(service, "postgres", "select barcode from ps.patron where deleted_at is null order by patron_id offset 50 limit 40")
    barcodes = listed.split()
    assert len(barcodes) == 40, listed
    known, unknown = [], []
    for i in range(40):  # interleaved, each barcode once (no lockout), each from its own address
        # Which goes first alternates: the second of a pair runs while the first's failure row is written
        # out, so a fixed order would make one group slower by its position alone.
        for group in ((0, 1) if i % 2 == 0 else (1, 0)):
            if group == 0:
                known.append(timed(barcodes[i], f"127.0.3.{i + 1}"))
            else:
                unknown.append(timed(f"8888{i:09d}", f"127.0.4.{i + 1}"))
    ranked = sorted([(t, 0) for t in known] + [(t, 1) for t in unknown])
    rank_sum = sum(rank + 1 for rank, (_, group) in enumerate(ranked) if group == 0)
    n = len(known)
    mean, sd = n * (2 * n + 1) / 2, (n * n * (2 * n + 1) / 12) ** 0.5
    z = (rank_sum - mean) / sd
    median = lambda values: sorted(values)[len(values) // 2]
    print(f"  median known {median(known) * 1000:.1f} ms, unknown {median(unknown) * 1000:.1f} ms, z = {z:.2f}")
    assert abs(z) < 3.3, f"the two distributions differ (z = {z:.2f}, p < 0.001)"


@probe("a database restart under write load loses no acknowledged write")
def restart_under_writes(service):
    token = service.credentials["staff"]
    acknowledged, attempted = [], [0]
    stop = threading.Event()

    def writer(index):
        while not stop.is_set():
            attempted[0] += 1
            try:
                status, body = service.request("POST", "/staff/v1/bills", {"patronId": 1, "kind": "other", "amountMinor": 1},
                                               headers={"authorization": f"Bearer {token}"})
                if status == 201:
                    acknowledged.append(json.loads(body)["billId"])
            except OSError:
                pass
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    time.sleep(1.5)
    data = os.path.join(service.folder, "pg", "data")
    restarted = as_postgres(PG_CTL, "restart", "-w", "-m", "immediate", "-D", data, "-l", os.path.join(service.folder, "pg", "postgres.log"))
    assert restarted.returncode == 0, restarted.stderr
    time.sleep(1.5)
    stop.set()
    [t.join(60) for t in threads]
    ids = ",".join(str(i) for i in acknowledged) or "0"
    _, stored = psql(service, "postgres", f"select count(*) from ps.bill where bill_id in ({ids})")
    assert len(acknowledged) > 0 and int(stored) == len(acknowledged), f"acknowledged {len(acknowledged)}, stored {stored}"


def main():
    folder = tempfile.mkdtemp(prefix="ps-reliability-")
    service = Service(folder)
    try:
        for run in [report_login, lockout_abuse, pin_race, hostile_inputs, idempotent_resends, sign_in_timing, restart_under_writes,
                    idle_flood, shutdown_under_load, stalled_log_reader]:
            run(service)
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)
    passed = sum(1 for _, ok, _ in results if ok)
    print(f"reliability: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
