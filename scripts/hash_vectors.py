"""Generate password-hash vectors with independent implementations.

Each output line: {"family", "hash", "password", "expect", optional "salt",
"options"}. "expect" says whether the password matches; "options" lists extra
`ferry hash verify` flags the line needs (configured formats, plaintext).
Only libraries installed from PyPI and Python's standard library are used, so
the vectors do not depend on Ferry's own code.
"""

import base64
import binascii
import crypt
import hashlib
import hmac
import json
import os
import random
import string
import struct
import sys

import bcrypt as pybcrypt
from argon2 import low_level as argon2_low
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib import hash as ph

PASSWORDS = ["correct horse battery staple", "lètmein-ünïcødé ✓"]
lines = []


def emit(family, make, options=None, salted=False):
    """Adds a matching and a mismatching line for each password."""
    for password in PASSWORDS:
        made = make(password)
        hashed, salt = made if salted else (made, None)
        # The wrong password differs in its first character: DES crypt reads only 8.
        for candidate, expect in ((password, True), ("X" + password, False)):
            line = {"family": family, "hash": hashed, "password": candidate, "expect": expect}
            if salt is not None:
                line["salt"] = salt
            if options:
                line["options"] = options
            lines.append(line)


def b64(data):
    return base64.b64encode(data).decode()


def b64n(data):
    return base64.b64encode(data).decode().rstrip("=")


# --- bcrypt family -----------------------------------------------------------
for ident in ("2a", "2b", "2y"):
    emit(f"bcrypt-{ident}", lambda p, i=ident: ph.bcrypt.using(rounds=5, ident=i).hash(p))
# $2a$ wraparound: OpenBSD's 2014 bug kept the password length in 8 bits, so a
# 256+ byte password hashed like a short one. Correct implementations read the
# first 72 bytes; these long passwords must verify, and a change within the first
# 72 bytes must not.
for length in (260, 300):
    long_password = ("0123456789" * 40)[:length]
    for ident in ("2a", "2b"):
        hashed = ph.bcrypt.using(rounds=5, ident=ident, truncate_error=False).hash(long_password)
        for candidate, expect in ((long_password, True), ("X" + long_password[1:], False)):
            lines.append({"family": f"bcrypt-{ident}-wraparound", "hash": hashed, "password": candidate, "expect": expect})
emit("bcrypt-2x", lambda p: crypt.crypt(p, "$2x$05$" + ph.bcrypt.using(rounds=5).genconfig()[7:29]))
emit("passlib-bcrypt-sha256-v1", lambda p: ph.bcrypt_sha256.using(rounds=5, version=1).hash(p))
emit("passlib-bcrypt-sha256-v2", lambda p: ph.bcrypt_sha256.using(rounds=5, version=2).hash(p))
emit("spring-bcrypt", lambda p: "{bcrypt}" + pybcrypt.hashpw(p.encode(), pybcrypt.gensalt(5)).decode())


def wordpress(password):
    prehash = base64.b64encode(hmac.new(b"wp-sha384", password.encode(), hashlib.sha384).digest())
    return "$wp" + pybcrypt.hashpw(prehash, pybcrypt.gensalt(5, prefix=b"2b")).decode().replace("$2b$", "$2y$", 1)


emit("wordpress-bcrypt", wordpress)

# --- crypt(3) ----------------------------------------------------------------
emit("md5-crypt", lambda p: ph.md5_crypt.hash(p))
emit("apr1", lambda p: ph.apr_md5_crypt.hash(p))
emit("sha256-crypt", lambda p: ph.sha256_crypt.using(rounds=5000).hash(p).replace("rounds=5000$", ""))
emit("sha256-crypt-rounds", lambda p: ph.sha256_crypt.using(rounds=12000).hash(p))
emit("sha512-crypt", lambda p: ph.sha512_crypt.using(rounds=5000).hash(p).replace("rounds=5000$", ""))
emit("sha512-crypt-rounds", lambda p: ph.sha512_crypt.using(rounds=12000).hash(p))
emit("des-crypt", lambda p: ph.des_crypt.hash(p))
emit("bsdi-crypt", lambda p: ph.bsdi_crypt.using(rounds=5001).hash(p))
salt16 = lambda: "".join("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[b % 64] for b in os.urandom(16))
emit("yescrypt", lambda p: crypt.crypt(p, "$y$j9T$" + salt16()))
emit("gost-yescrypt", lambda p: crypt.crypt(p, "$gy$j9T$" + salt16()))
emit("scrypt-crypt", lambda p: crypt.crypt(p, "$7$CU..../...." + salt16()))
emit("ldap-crypt", lambda p: ph.ldap_sha512_crypt.hash(p))
emit("ldap-crypt-bcrypt", lambda p: ph.ldap_bcrypt.using(rounds=5).hash(p))

# --- PBKDF2 ------------------------------------------------------------------
emit("passlib-pbkdf2", lambda p: ph.pbkdf2_sha1.using(rounds=1000).hash(p))
emit("passlib-pbkdf2-sha256", lambda p: ph.pbkdf2_sha256.using(rounds=1000).hash(p))
emit("passlib-pbkdf2-sha512", lambda p: ph.pbkdf2_sha512.using(rounds=1000).hash(p))
emit("ldap-pbkdf2-sha1", lambda p: ph.ldap_pbkdf2_sha1.using(rounds=1000).hash(p))
emit("ldap-pbkdf2-sha256", lambda p: ph.ldap_pbkdf2_sha256.using(rounds=1000).hash(p))
emit("ldap-pbkdf2-sha512", lambda p: ph.ldap_pbkdf2_sha512.using(rounds=1000).hash(p))
emit("atlassian-pkcs5s2", lambda p: ph.atlassian_pbkdf2_sha1.hash(p))


def kratos(password, digest="sha256", length=32):
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac(digest, password.encode(), salt, 1000, length)
    return f"$pbkdf2-{digest}$i=1000,l={length}${b64n(salt)}${b64n(key)}"


emit("kratos-pbkdf2-sha256", kratos)
emit("kratos-pbkdf2-sha512", lambda p: kratos(p, "sha512", 64))


def aspnet_v2(password):
    salt = os.urandom(16)
    return b64(b"\x00" + salt + hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 1000, 32))


def aspnet_v3(password, prf, digest, iterations=1000):
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, 32)
    return b64(b"\x01" + struct.pack(">III", prf, iterations, len(salt)) + salt + key)


emit("aspnet-identity-v2", aspnet_v2)
emit("aspnet-identity-v3-sha1", lambda p: aspnet_v3(p, 0, "sha1"))
emit("aspnet-identity-v3-sha256", lambda p: aspnet_v3(p, 1, "sha256"))
emit("aspnet-identity-v3-sha512", lambda p: aspnet_v3(p, 2, "sha512"))


def spring_pbkdf2(password, modern=True):
    if modern:
        salt = os.urandom(16)
        return "{pbkdf2}" + (salt + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 310000, 32)).hex()
    salt = os.urandom(8)
    return "{pbkdf2}" + (salt + hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 185000, 32)).hex()


emit("spring-pbkdf2", spring_pbkdf2)
emit("spring-pbkdf2-v5.5", lambda p: spring_pbkdf2(p, modern=False))

# --- scrypt ------------------------------------------------------------------
emit("passlib-scrypt", lambda p: ph.scrypt.using(rounds=10, block_size=8, parallelism=1).hash(p))


def firebase(password):
    salt, separator, signer = os.urandom(12), b"\x07", os.urandom(64)
    key = hashlib.scrypt(password.encode(), salt=salt + separator, n=1 << 10, r=8, p=1, dklen=32)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\x00" * 16)).encryptor()
    digest = encryptor.update(signer) + encryptor.finalize()
    return f"$firescrypt$ln=10,r=8,p=1${b64(salt)}${b64(digest)}${b64(separator)}${b64(signer)}"


emit("firebase-scrypt", firebase)

# --- Argon2 ------------------------------------------------------------------
for variant, kind in (("argon2id", argon2_low.Type.ID), ("argon2i", argon2_low.Type.I), ("argon2d", argon2_low.Type.D)):
    for version in (19, 16):
        emit(
            f"{variant}-v{version}",
            lambda p, k=kind, v=version: argon2_low.hash_secret(
                p.encode(), os.urandom(16), time_cost=2, memory_cost=1024, parallelism=2, hash_len=32, type=k, version=v
            ).decode(),
        )
emit(
    "argon2id-no-version",
    lambda p: argon2_low.hash_secret(
        p.encode(), os.urandom(16), time_cost=2, memory_cost=1024, parallelism=1, hash_len=32, type=argon2_low.Type.ID, version=16
    ).decode().replace("$v=16", ""),
)

# --- LDAP RFC 2307 -----------------------------------------------------------
emit("ldap-md5", lambda p: ph.ldap_md5.hash(p))
emit("ldap-smd5", lambda p: ph.ldap_salted_md5.hash(p))
emit("ldap-sha", lambda p: ph.ldap_sha1.hash(p))
emit("ldap-ssha", lambda p: ph.ldap_salted_sha1.hash(p))
emit("ldap-ssha256", lambda p: ph.ldap_salted_sha256.hash(p))
emit("ldap-ssha512", lambda p: ph.ldap_salted_sha512.hash(p))
for name, digest in (("SHA256", "sha256"), ("SHA384", "sha384"), ("SHA512", "sha512")):
    emit(f"ldap-{name.lower()}", lambda p, n=name, d=digest: "{" + n + "}" + b64(hashlib.new(d, p.encode()).digest()))
    emit(
        f"ldap-s{name.lower()}-salt9",
        lambda p, n=name, d=digest: (lambda s: "{S" + n + "}" + b64(hashlib.new(d, p.encode() + s).digest() + s))(os.urandom(9)),
    )

# --- phpass and Drupal -------------------------------------------------------
emit("phpass", lambda p: ph.phpass.using(rounds=10).hash(p))
emit("phpass-phpbb", lambda p: ph.phpass.using(rounds=10, ident="H").hash(p))

ITOA = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def drupal_encode(data, count):
    out, i = [], 0
    while True:
        value = data[i]
        i += 1
        out.append(ITOA[value & 0x3F])
        if i < count:
            value |= data[i] << 8
        out.append(ITOA[(value >> 6) & 0x3F])
        if i >= count:
            break
        i += 1
        if i < count:
            value |= data[i] << 16
        out.append(ITOA[(value >> 12) & 0x3F])
        if i >= count:
            break
        i += 1
        out.append(ITOA[(value >> 18) & 0x3F])
        if i >= count:
            break
    return "".join(out)


def drupal7(password, log2=10):
    """Drupal 7 _password_crypt('sha512', ...), written from its documentation."""
    salt = "".join(ITOA[b % 64] for b in os.urandom(8))
    value = hashlib.sha512(salt.encode() + password.encode()).digest()
    for _ in range(1 << log2):
        value = hashlib.sha512(value + password.encode()).digest()
    setting = "$S$" + ITOA[log2] + salt
    return (setting + drupal_encode(value, len(value)))[:55]


emit("drupal7", drupal7)
emit("drupal7-md5", lambda p: "U" + drupal7(hashlib.md5(p.encode()).hexdigest()))

# --- Django legacy, bare hex, Spring digests ----------------------------------
emit("django-salted-sha1", lambda p: ph.django_salted_sha1.hash(p))
emit("django-salted-md5", lambda p: ph.django_salted_md5.hash(p))
emit("django-unsalted-md5", lambda p: "md5$$" + hashlib.md5(p.encode()).hexdigest())
emit("django-unsalted-sha1", lambda p: "sha1$$" + hashlib.sha1(p.encode()).hexdigest())
emit("django-crypt", lambda p: ph.django_des_crypt.hash(p))
emit("django-bcrypt", lambda p: ph.django_bcrypt.using(rounds=5).hash(p))
emit("django-bcrypt-sha256", lambda p: ph.django_bcrypt_sha256.using(rounds=5).hash(p))
for digest in ("md5", "sha1", "sha256", "sha512"):
    emit(f"hex-{digest}", lambda p, d=digest: hashlib.new(d, p.encode()).hexdigest())


def spring_digest(password, name, digest, salted):
    salt = "{" + binascii.hexlify(os.urandom(8)).decode() + "}" if salted else ""
    return "{" + name + "}" + salt + hashlib.new(digest, (password + salt).encode()).hexdigest()


for name, digest in (("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256")):
    for salted in (False, True):
        emit(f"spring-{digest}{'-salted' if salted else ''}", lambda p, n=name, d=digest, s=salted: spring_digest(p, n, d, s))


def spring_standard(password):
    salt = os.urandom(8)
    value = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(1023):
        value = hashlib.sha256(value).digest()
    return "{sha256}" + (salt + value).hex()


emit("spring-standard-sha256", spring_standard)
emit("spring-noop", lambda p: "{noop}" + p, options=["--allow-plaintext"])

# --- configured (salt in its own column) -------------------------------------
def configured(password, digest, position, salt_encoding="utf8", hash_encoding="hex", pepper=None, iterations=1):
    raw_salt = os.urandom(8)
    salt_text = {"utf8": raw_salt.hex(), "hex": raw_salt.hex(), "base64": b64(raw_salt)}[salt_encoding]
    salt_bytes = salt_text.encode() if salt_encoding == "utf8" else raw_salt
    pw = password.encode()
    data = {"prefix": salt_bytes + pw, "suffix": pw + salt_bytes, "template": salt_bytes + b"--" + pw}[position]
    value = hmac.new(pepper, data, digest).digest() if pepper else hashlib.new(digest, data).digest()
    for _ in range(iterations - 1):
        value = hashlib.new(digest, value).digest()
    return (value.hex() if hash_encoding == "hex" else b64(value)), salt_text


emit("configured-sha1-prefix", lambda p: configured(p, "sha1", "prefix"), ["--digest", "sha1"], salted=True)
emit("configured-sha256-suffix-b64", lambda p: configured(p, "sha256", "suffix", "base64", "base64"),
     ["--digest", "sha256", "--salt-position", "suffix", "--salt-encoding", "base64", "--hash-encoding", "base64"], salted=True)
emit("configured-md5-template", lambda p: configured(p, "md5", "template", "hex"),
     ["--digest", "md5", "--salt-position", "template", "--template", "{SALT}--{PASSWORD}", "--salt-encoding", "hex"], salted=True)
emit("configured-sha512-pepper-iter", lambda p: configured(p, "sha512", "prefix", pepper=b"pepper!", iterations=3),
     ["--digest", "sha512", "--pepper", "pepper!", "--iterations", "3"], salted=True)

# --- database, directory and appliance formats -------------------------------
emit("mysql41", lambda p: ph.mysql41.hash(p))
emit("mysql323", lambda p: ph.mysql323.hash(p))
emit("sha1-crypt", lambda p: ph.sha1_crypt.using(rounds=480).hash(p))
emit("sun-md5-crypt", lambda p: ph.sun_md5_crypt.using(rounds=100).hash(p))
# The NT hash: FreeBSD's $3$$ (passlib's bsd_nthash) and John's $NT$.
emit("nthash-bsd", lambda p: ph.bsd_nthash.hash(p))
emit("nthash-john", lambda p: "$NT$" + ph.nthash.hash(p))


def mysql_caching_sha2(password, rounds=5000):
    """MySQL 8 caching_sha2_password in hashcat's form: SHA-256 crypt with a
    20-byte salt, by passlib's sha256-crypt core (run with -O: its 16-byte
    salt guard is an assert)."""
    from passlib.handlers.sha2_crypt import _raw_sha2_crypt
    salt = "".join(random.choice(string.ascii_letters + string.digits + "./") for _ in range(20))
    digest = _raw_sha2_crypt(password.encode(), salt, rounds, False)
    return "$mysql$A$%03X*%s*%s" % (rounds // 1000, salt.encode().hex().upper(), digest.encode().hex().upper())


emit("mysql-caching-sha2", mysql_caching_sha2)

from passlib.utils import saslprep


def postgres_scram(password, iterations=4096):
    """pg_authid's SCRAM-SHA-256 verifier (RFC 5802/7677), SASLprep by passlib."""
    salt = os.urandom(16)
    try:
        prepared = saslprep(password).encode()
    except ValueError:
        prepared = password.encode()
    salted = hashlib.pbkdf2_hmac("sha256", prepared, salt, iterations)
    client = hmac.new(salted, b"Client Key", "sha256").digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client).digest())}:{b64(server)}"


emit("postgres-scram-sha256", postgres_scram)

CISCO = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TO_CISCO = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", CISCO)


def cisco(password, type9):
    salt = "".join(CISCO[b % 64] for b in os.urandom(14))
    if type9:
        key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
    else:
        key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20000, 32)
    return f"${9 if type9 else 8}${salt}${b64n(key).translate(TO_CISCO)}"


emit("cisco-type8", lambda p: cisco(p, False))
emit("cisco-type9", lambda p: cisco(p, True))


def keycloak(password, algorithm):
    """Keycloak's credential representation, as its realm export writes it."""
    salt = os.urandom(16)
    if algorithm == "argon2":
        value = argon2_low.hash_secret_raw(password.encode(), salt, time_cost=3, memory_cost=1024,
                                           parallelism=1, hash_len=32, type=argon2_low.Type.ID)
        credential = {"hashIterations": 3, "algorithm": "argon2", "additionalParameters": {
            "hashLength": ["32"], "memory": ["1024"], "type": ["id"], "version": ["1.3"], "parallelism": ["1"]}}
    else:
        digest = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}[algorithm]
        value = hashlib.pbkdf2_hmac(digest, password.encode(), salt, 1000, 64)
        credential = {"hashIterations": 1000, "algorithm": algorithm, "additionalParameters": {}}
    secret = {"value": b64(value), "salt": b64(salt), "additionalParameters": {}}
    return json.dumps({"type": "password", "secretData": json.dumps(secret), "credentialData": json.dumps(credential)})


for algorithm in ("pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512", "argon2"):
    emit(f"keycloak-{algorithm}", lambda p, a=algorithm: keycloak(p, a))

# --- application formulas ([legacy.hash] expression) -------------------------
# Each written the way the application's own code computed it.
PEPPER = b"app-wide pepper"


def md5hex(data):
    return hashlib.md5(data).hexdigest().encode()


def sha1hex(data):
    return hashlib.sha1(data).hexdigest().encode()


def with_salt(make):
    def made(password):
        salt = os.urandom(6).hex()
        return make(password.encode(), salt.encode()), salt
    return made


emit("expression-vbulletin", with_salt(lambda p, s: md5hex(md5hex(p) + s).decode()),
     ["--expression", "md5(md5(PASSWORD) + SALT)"], salted=True)
emit("expression-ipb", with_salt(lambda p, s: md5hex(md5hex(s) + md5hex(p)).decode()),
     ["--expression", "md5(md5(SALT) + md5(PASSWORD))"], salted=True)
emit("expression-sha1-chain", with_salt(lambda p, s: sha1hex(s + sha1hex(s + sha1hex(p))).decode()),
     ["--expression", "sha1(SALT + sha1(SALT + sha1(PASSWORD)))"], salted=True)
emit("expression-mysql-upper", lambda p: "*" + hashlib.sha1(hashlib.sha1(p.encode()).digest()).hexdigest().upper(),
     ["--expression", "'*' + upper(sha1(sha1_raw(PASSWORD)))"])
# Devise with config.pepper: bcrypt over password then pepper.
emit("expression-devise-pepper", lambda p: pybcrypt.hashpw(p.encode() + PEPPER, pybcrypt.gensalt(5)).decode(),
     ["--expression", "bcrypt(PASSWORD + PEPPER)", "--pepper", PEPPER.decode()])
# An HMAC pre-hash before a self-describing scheme.
emit("expression-hmac-argon2",
     lambda p: ph.argon2.using(memory_cost=1024, rounds=2).hash(
         base64.b64encode(hmac.new(PEPPER, p.encode(), "sha256").digest())),
     ["--expression", "stored(base64(hmac_sha256_raw(PEPPER, PASSWORD)))", "--pepper", PEPPER.decode()])
# A raw Argon2id tag with its salt in its own column.
emit("expression-raw-argon2id",
     lambda p: (lambda salt: (b64(argon2_low.hash_secret_raw(p.encode(), salt, time_cost=2, memory_cost=1024,
                                                             parallelism=1, hash_len=32, type=argon2_low.Type.ID)),
                              b64(salt)))(os.urandom(16)),
     ["--expression", "base64(argon2id(PASSWORD, unbase64(SALT), m=1024, t=2, p=1, length=32))"], salted=True)
emit("expression-pbkdf2-hex",
     with_salt(lambda p, s: hashlib.pbkdf2_hmac("sha512", p, s, 1000, 64).hex()),
     ["--expression", "hex(pbkdf2_sha512(PASSWORD, SALT, iterations=1000, length=64))"], salted=True)
# Samba's sambaNTPassword: the NT hash as bare upper-case hex.
emit("expression-samba-nt", lambda p: ph.nthash.hash(p).upper(), ["--expression", "upper(md4(utf16le(PASSWORD)))"])
emit("expression-utf16le-sha1",
     with_salt(lambda p, s: base64.b64encode(hashlib.sha1(s + p.decode().encode("utf-16-le")).digest()).decode()),
     ["--expression", "base64(sha1_raw(SALT + utf16le(PASSWORD)))"], salted=True)


def emit_with_user(family, make, options):
    """Formulas that read the username: PostgreSQL's md5 verifier (passlib's postgres_md5)."""
    for password in PASSWORDS:
        for user in ("alice", "Bob.O'Neil"):
            hashed = make(password, user)
            for candidate, expect in ((password, True), ("X" + password, False)):
                lines.append({"family": family, "hash": hashed, "password": candidate, "expect": expect,
                              "username": user, "options": options})
            # The same hash under another user's name must not match.
            lines.append({"family": family, "hash": hashed, "password": password, "expect": False,
                          "username": user + "x", "options": options})


emit_with_user("expression-postgres-md5", lambda p, u: ph.postgres_md5.hash(p, user=u),
               ["--expression", "'md5' + md5(PASSWORD + USERNAME)"])

# --- Django and Werkzeug themselves -----------------------------------------
import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
django.setup()
from django.contrib.auth import hashers as dj

for name in ("pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt", "md5"):
    emit(f"django-{name}", lambda p, n=name: dj.make_password(p, hasher=n))

from werkzeug.security import generate_password_hash

for method in ("pbkdf2:sha256:1000", "pbkdf2:sha1:1000", "pbkdf2:sha512:1000", "scrypt:16384:8:1"):
    emit(f"werkzeug-{method.split(':')[0]}-{method.split(':')[1]}", lambda p, m=method: generate_password_hash(p, method=m))

with open(sys.argv[1], "w") as out:
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
print(f"{len(lines)} vectors in {len({l['family'] for l in lines})} families", file=sys.stderr)
