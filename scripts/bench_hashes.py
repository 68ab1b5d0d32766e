"""Time the same hashes in Ferry and in the reference implementations.

Each family gets one hash with typical production parameters. The reference
side calls the C implementation the Python ecosystem uses; Ferry's side runs
`ferry hash bench --input`, which times HashCatalog verification on one thread.
"""

import base64
import crypt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time

import bcrypt
from argon2 import PasswordHasher
from passlib import hash as ph

ferry, seconds = sys.argv[1], float(sys.argv[2])
password = "correct horse battery staple"
pw = password.encode()


def pbkdf2_verify(stored, iterations=29000):
    salt, key = stored
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha256", pw, salt, iterations, 32), key)


salt16 = os.urandom(16)
pbkdf2_key = hashlib.pbkdf2_hmac("sha256", pw, salt16, 29000, 32)
ab64 = lambda b: base64.b64encode(b, b"./").decode().rstrip("=")
scrypt_key = hashlib.scrypt(pw, salt=salt16, n=1 << 14, r=8, p=1, dklen=32)
argon2_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
ssha_salt = os.urandom(8)

# family: (hash string for Ferry, reference verify callable)
families = {}
h = bcrypt.hashpw(pw, bcrypt.gensalt(10)).decode()
families["bcrypt (cost 10)"] = (h, lambda h=h: bcrypt.checkpw(pw, h.encode()))
h = crypt.crypt(password, "$6$" + "saltsaltsaltsalt")
families["sha512-crypt (5000)"] = (h, lambda h=h: crypt.crypt(password, h) == h)
h = crypt.crypt(password, "$1$saltsalt")
families["md5-crypt"] = (h, lambda h=h: crypt.crypt(password, h) == h)
h = crypt.crypt(password, "$y$j9T$saltsaltsaltsalt")
families["yescrypt (j9T)"] = (h, lambda h=h: crypt.crypt(password, h) == h)
h = f"$pbkdf2-sha256$29000${ab64(salt16)}${ab64(pbkdf2_key)}"
families["pbkdf2-sha256 (29000)"] = (h, lambda: pbkdf2_verify((salt16, pbkdf2_key)))
h = f"$scrypt$ln=14,r=8,p=1${ab64(salt16)}${ab64(scrypt_key)}"
families["scrypt (2^14,8,1)"] = (
    h,
    lambda: hmac.compare_digest(hashlib.scrypt(pw, salt=salt16, n=1 << 14, r=8, p=1, dklen=32), scrypt_key),
)
h = argon2_hasher.hash(password)
families["argon2id (19 MiB, t=2)"] = (h, lambda h=h: argon2_hasher.verify(h, password))
h = "{SSHA}" + base64.b64encode(hashlib.sha1(pw + ssha_salt).digest() + ssha_salt).decode()
families["ldap-ssha"] = (
    h,
    lambda expected=hashlib.sha1(pw + ssha_salt).digest(): hmac.compare_digest(hashlib.sha1(pw + ssha_salt).digest(), expected),
)
h = ph.phpass.using(rounds=13).hash(password)
families["phpass (2^13, passlib)"] = (h, lambda h=h: ph.phpass.verify(password, h))


def rate(verify):
    assert verify(), "reference verification failed"
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        verify()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    for family, (hashed, _) in families.items():
        f.write(json.dumps({"family": family, "hash": hashed, "password": password}) + "\n")
    path = f.name

ferry_rates = {}
out = subprocess.run([ferry, "hash", "bench", "--input", path, "--json", "--seconds", str(seconds)],
                     capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    row = json.loads(line)
    ferry_rates[row["family"]] = row["per_second"]
os.unlink(path)

print(f"{'family':26} {'ferry/s':>10} {'reference/s':>12} {'ratio':>7}  reference")
references = {
    "bcrypt (cost 10)": "bcrypt " + bcrypt.__version__,
    "sha512-crypt (5000)": "crypt (libxcrypt)",
    "md5-crypt": "crypt (libxcrypt)",
    "yescrypt (j9T)": "crypt (libxcrypt)",
    "pbkdf2-sha256 (29000)": "hashlib (OpenSSL)",
    "scrypt (2^14,8,1)": "hashlib (OpenSSL)",
    "argon2id (19 MiB, t=2)": "argon2-cffi",
    "ldap-ssha": "hashlib (OpenSSL)",
    "phpass (2^13, passlib)": "passlib (pure Python)",
}
worst = None
for family, (_, verify) in families.items():
    reference = rate(verify)
    ours = ferry_rates[family]
    ratio = ours / reference
    worst = ratio if worst is None else min(worst, ratio)
    print(f"{family:26} {ours:10.1f} {reference:12.1f} {ratio:7.2f}  {references[family]}")
print(f"lowest ratio: {worst:.2f} (target ≥ 0.95)")
