"""Mutational fuzzing of a running Ferry over raw sockets (scripts/fuzz-proxy).

Valid customer requests (form and JSON logins, chunked bodies, the TOTP step,
sign-ups, password resets, pages with cookies) are mutated — bytes flipped,
ranges dropped or repeated, framing and encoding tokens spliced in — and sent
to Ferry's public port. Ferry must answer or close every one of them and stay
alive; after each batch its admin /healthz must answer. On a death or a hang
the last inputs are written to the output folder.
"""

import json
import os
import random
import socket
import sys
import threading
import time

ferry_port, admin_port, seconds, out, pid = (
    int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
users = json.loads(os.environ.get("FUZZ_USERS", "[]")) or [["ada.lovelace0", "demo-ada-0"]]


def request(method, path, body=b"", headers=()):
    head = [f"{method} {path} HTTP/1.1", "Host: shop.example"] + list(headers)
    if body and not any(h.lower().startswith("transfer-encoding") for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def seeds():
    user, password = random.choice(users)
    form = f"username={user}&password={password}".encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
    return [
        request("POST", "/login", form, ["Content-Type: application/x-www-form-urlencoded"]),
        request("POST", "/login", json.dumps({"username": user, "password": password}).encode(),
                ["Content-Type: application/json"]),
        request("POST", "/login", chunked,
                ["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked"]),
        request("POST", "/login/mfa", b"code=123456", ["Content-Type: application/x-www-form-urlencoded",
                                                        "Cookie: new_mfa=abc; legacy_mfa=def"]),
        request("POST", "/signup", f"username=new{random.randint(0, 9999)}&email=n@example.com&password=x1".encode(),
                ["Content-Type: application/x-www-form-urlencoded"]),
        request("POST", "/password/reset", f"username={user}".encode(),
                ["Content-Type: application/x-www-form-urlencoded"]),
        request("GET", "/account", headers=["Cookie: legacy_session=abc; new_session=def"]),
        request("GET", "/login?next=%2Faccount"),
    ]


tokens = [b"\r\n", b"\r\n\r\n", b"\n", b"\x00", b"\xff\xfe", b"%", b"%00", b"%zz", b"%ff", b"&", b"=", b"&&==",
          b"{", b"}", b"[", b"\"", b"\\u0000", b"\\ud800", b"null", b"-1", b"99999999999999999999", b"0x10",
          b"Content-Length: 0\r\n", b"Content-Length: 999999\r\n", b"Transfer-Encoding: chunked\r\n",
          b"Transfer-Encoding: gzip, chunked\r\n", b"Expect: 100-continue\r\n", b"Connection: close\r\n",
          b"Cookie: legacy_session=", b"Host: \r\n", b" HTTP/1.0", b"/../", b"//", b";x=1", b"username=",
          b"password=", b"\"username\":", b"\"password\":", b"ffffffff\r\n", b"0\r\n\r\n", b"A" * 70000]


def mutate(data):
    data = bytearray(data)
    for _ in range(random.randint(1, 4)):
        if not data:
            data += random.choice(tokens)
            continue
        at = random.randrange(len(data))
        choice = random.random()
        if choice < 0.3:
            data[at] = random.randrange(256)
        elif choice < 0.45:
            del data[at:at + random.randint(1, 16)]
        elif choice < 0.6:
            end = min(len(data), at + random.randint(1, 64))
            data[at:at] = data[at:end] * random.randint(1, 8)
        else:
            data[at:at] = random.choice(tokens)
    return bytes(data)


def send(data, timeout):
    """True when Ferry answered or closed within `timeout`; False when it still holds the request."""
    with socket.create_connection(("127.0.0.1", ferry_port), timeout=timeout) as conn:
        try:
            conn.sendall(data)
            if random.random() < 0.5:
                conn.shutdown(socket.SHUT_WR)  # a client that half-closes after sending
            while conn.recv(65536):
                pass
        except socket.timeout:
            return False
        except OSError:
            pass  # reset or refused mid-way: an answer of sorts
    return True


def alive():
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with socket.create_connection(("127.0.0.1", admin_port), timeout=5) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            return b" 200 " in conn.recv(4096)
    except OSError:
        return False


def chosen(all_seeds):
    """FUZZ_ONLY=0,3 narrows the seeds (to find which kind of request a crash needs)."""
    only = os.environ.get("FUZZ_ONLY")
    return [all_seeds[int(i)] for i in only.split(",")] if only else all_seeds


def resident_mib():
    """Ferry's resident memory, to see that what it keeps does not grow with the inputs."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return -1
    return -1


random.seed(int(os.environ.get("FUZZ_SEED", "1")))
resident_at_start = resident_mib()
lock = threading.Lock()
recent, counts, deadline = [], {"sent": 0, "held": 0}, time.monotonic() + seconds


def worker(seed):
    generator = random.Random(seed)
    while time.monotonic() < deadline:
        random.seed(generator.random())
        data = mutate(random.choice(chosen(seeds())))
        with lock:
            recent.append(data)
            del recent[:-50]
        answered = send(data, timeout=1.0)
        with lock:
            counts["sent"] += 1
            counts["held"] += 0 if answered else 1


# Several connections at once, as customers are: most time goes to requests
# whose mutated framing leaves Ferry waiting for more body.
threads = [threading.Thread(target=worker, args=(random.random(),), daemon=True) for _ in range(8)]
for thread in threads:
    thread.start()
while time.monotonic() < deadline:
    time.sleep(2)
    if not alive():
        os.makedirs(out, exist_ok=True)
        with lock:
            kept = list(recent)
        for number, item in enumerate(kept):
            with open(os.path.join(out, f"input-{number:02d}"), "wb") as file:
                file.write(item)
        print(f"fuzz-proxy: Ferry died or stopped answering after {counts['sent']} inputs; "
              f"the last {len(kept)} are in {out}")
        sys.exit(1)
for thread in threads:
    thread.join()
print(f"fuzz-proxy: {counts['sent']} mutated requests in {seconds:.0f} s, 8 at a time; Ferry alive and healthy; "
      f"{counts['held']} held open past 1 s (a request still waiting for its body is held until the request timeout); "
      f"resident memory {resident_at_start} MiB at the start, {resident_mib()} MiB at the end")
