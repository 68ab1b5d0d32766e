"""Drives the Django + django-otp scenario through Ferry as customers would
(form posts with their cookies), then reads the new platform's database and
asks `ferry users show`. Prints one line per check; exits 1 if any failed.

    python django_otp_drive.py WORK_DIR FERRY_URL APP_PYTHON FERRY_BIN
"""

import http.client
import json
import sqlite3
import subprocess
import sys
import urllib.parse

work, ferry_url, app_python, ferry_bin = sys.argv[1:5]
users = json.load(open(f"{work}/users.json"))
failures = 0


def check(label, condition, detail=""):
    global failures
    print(f"{'PASS' if condition else 'FAIL'}  {label}" + (f"  ({detail})" if detail and not condition else ""))
    failures += 0 if condition else 1


def post(path, fields, cookies=None):
    url = urllib.parse.urlparse(ferry_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    connection.request("POST", path, urllib.parse.urlencode(fields), headers)
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    jar = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            if val:
                jar[key.strip()] = val.strip()
    return response.status, jar, body


def app(*arguments):
    return subprocess.run(
        [app_python, "scripts/django_otp_app.py", arguments[0], work + "/app", *arguments[1:]],
        capture_output=True, text=True, check=True).stdout.strip()


def new_db():
    return sqlite3.connect(f"{work}/demo/new.db")


def show(identifier):
    return subprocess.run(
        [ferry_bin, "users", "show", identifier, "--config", f"{work}/proxy.conf"], capture_output=True,
        text=True).stdout


alice = users["Alice"]
print("== Alice: staff, two groups, an authenticator app and backup codes; she used a code on legacy a moment ago")
used = app("code", "Alice")
check("legacy (django-otp) accepts her code", app("use-code", "Alice", used) == "accepted")
status, jar, _ = post("/login", {"username": "Alice", "password": alice["password"]})
check("her first login through Ferry migrates her; the new platform asks for a code",
      status == 200 and "new_mfa" in jar, f"status {status}, cookies {sorted(jar)}")
status, _, _ = post("/login/mfa", {"code": used}, {"new_mfa": jar.get("new_mfa", "")})
check("the code she used on legacy is refused on the new platform (django-otp's last_t carried)", status == 401,
      f"status {status}")
status, session, _ = post("/login/mfa", {"code": app("code", "Alice", "1")}, {"new_mfa": jar.get("new_mfa", "")})
check("the next step's code logs her in on the new platform", status == 303 and "new_session" in session,
      f"status {status}")
token = alice["recovery_codes"][0]
for attempt in ("first", "second"):
    status, jar, _ = post("/login", {"username": "Alice", "password": alice["password"]})
    status, session, _ = post("/login/mfa", {"code": token}, {"new_mfa": jar.get("new_mfa", "")})
    expected = 303 if attempt == "first" else 401
    check(f"a django-otp backup code works once on the new platform ({attempt} use: {expected})", status == expected,
          f"status {status}")
with new_db() as db:
    account = db.execute("SELECT id, is_staff, external_id FROM accounts WHERE user_name = 'Alice'").fetchone()
    check("one account on the new platform", account is not None)
    roles = [r[0] for r in db.execute("SELECT role FROM account_roles WHERE account_id = ? ORDER BY rowid", (account[0],))]
    label, step = db.execute("SELECT label, last_used_step FROM totp_factors WHERE account_id = ?", (account[0],)).fetchone()
    left = db.execute("SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used = 0", (account[0],)).fetchone()[0]
check("Django's is_staff arrives", account[1] == 1)
check("her Django groups arrive as roles", roles == ["editors", "support"], str(roles))
check("her device keeps its name", label == "Alice's Pixel", str(label))
legacy_last_t = sqlite3.connect(f"{work}/app/app.db").execute(
    "SELECT last_t FROM otp_totp_totpdevice d JOIN auth_user u ON u.id = d.user_id WHERE u.username = 'Alice'").fetchone()[0]
check("the new platform's last used step moved on from legacy's last_t", step == legacy_last_t + 1,
      f"new {step}, legacy {legacy_last_t}")
check("two of three backup codes are left", left == 2, str(left))

print("== alice: another person, whose Django username differs only in case")
status, jar, _ = post("/login", {"username": "alice", "password": users["alice"]["password"]})
check("her login is judged against her own hash, never Alice's, and she gets in (on legacy)",
      status == 302 and "sessionid" in jar, f"status {status}, cookies {sorted(jar)}")
explained = show("alice")
check("the case-insensitive new platform cannot hold both: a conflict, explained by `ferry users show`",
      "state       failed" in explained and "provisioning failed" in explained, explained)
status, _, _ = post("/login", {"username": "ALICE", "password": users["alice"]["password"]})
check("'ALICE' with alice's password opens nobody's account (401)", status == 401, f"status {status}")
status, jar, _ = post("/login", {"username": "ALICE", "password": alice["password"]})
check("'ALICE' with Alice's password: Django does not know 'ALICE'; the new platform, which matches names "
      "case-insensitively, holds Alice and answers for her (code step)", status == 200 and "new_mfa" in jar,
      f"status {status}")

print("== carol: a hardware OTP token the new platform cannot hold")
status, jar, _ = post("/login", {"username": "carol", "password": users["carol"]["password"]})
check("she migrates and logs in on the new platform", status == 303 and "new_session" in jar, f"status {status}")
with new_db() as db:
    reenroll = db.execute("SELECT mfa_reenroll_required FROM accounts WHERE user_name = 'carol'").fetchone()
check("the new platform will ask her to enroll again", reenroll == (1,), str(reenroll))

print("== root: a Django superuser, held on legacy by hold_on_legacy = [\"is_superuser\"]")
status, jar, _ = post("/login", {"username": "root", "password": users["root"]["password"]})
check("root logs in on legacy", status == 302 and "sessionid" in jar, f"status {status}")
with new_db() as db:
    check("root has no account on the new platform",
          db.execute("SELECT COUNT(*) FROM accounts WHERE user_name = 'root'").fetchone() == (0,))
check("`ferry users show root` names the rule", 'hold_on_legacy rule "is_superuser"' in show("root"), show("root"))

print("== dave: deactivated in Django")
status, _, _ = post("/login", {"username": "dave", "password": users["dave"]["password"]})
check("dave is refused by legacy, as before", status == 401, f"status {status}")

print("== someone Django does not know")
status, _, body = post("/login", {"username": "mallory", "password": "guess"})
check("legacy answers, as before", status == 401 and "Wrong username or password" in body, f"status {status}")

print(f"== {failures} failed" if failures else "== all checks passed")
sys.exit(1 if failures else 0)
