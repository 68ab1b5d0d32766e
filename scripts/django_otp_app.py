"""A legacy application built from Django's own auth and django-otp, both
installed from PyPI: the account, group and second-factor tables are theirs,
created by their own migrations, and every password, device and token is made
by their own code. Only the three small views below (a form login with a TOTP
step, an account page) are this harness's.

    python django_otp_app.py setup DIR      create DIR/app.db and its users; print them as JSON
    python django_otp_app.py use-code DIR USERNAME CODE   verify a code on legacy (django-otp records last_t)
    python django_otp_app.py code DIR USERNAME [OFFSET]   the user's current TOTP code (OFFSET steps ahead)
    python django_otp_app.py serve DIR PORT  serve the application
"""

import json
import os
import sys
import time

import django
from django.conf import settings


def configure(directory):
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-otp-scenario",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django_otp",
            "django_otp.plugins.otp_totp",
            "django_otp.plugins.otp_hotp",
            "django_otp.plugins.otp_static",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(directory, "app.db")}},
    )
    django.setup()


# Views: this harness's only code in the application.


def login_view(request):
    from django.contrib.auth import authenticate, login
    from django.http import HttpResponse, HttpResponseRedirect
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = authenticate(request, username=request.POST.get("username", ""), password=request.POST.get("password", ""))
    if user is None:
        return HttpResponse("<p>Wrong username or password.</p>", status=401)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        request.session["pending_user"] = user.pk
        return HttpResponse('<form method="post" action="/login/mfa"><input name="code"></form>', status=200)
    login(request, user)
    return HttpResponseRedirect("/account")


def mfa_view(request):
    from django.contrib.auth import get_user_model, login
    from django.http import HttpResponse, HttpResponseRedirect
    from django_otp import match_token

    pending = request.session.get("pending_user")
    if pending is None:
        return HttpResponse("<p>Please log in again.</p>", status=401)
    user = get_user_model().objects.get(pk=pending)
    if match_token(user, request.POST.get("code", "")) is None:
        return HttpResponse("<p>That code is not valid.</p>", status=401)
    del request.session["pending_user"]
    login(request, user)
    return HttpResponseRedirect("/account")


def account_view(request):
    from django.http import HttpResponse

    if not request.user.is_authenticated:
        return HttpResponse("<p>Please log in.</p>", status=401)
    return HttpResponse(f"<p>Logged in to the legacy application as <b>{request.user.username}</b>.</p>")


def urls():
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    # CSRF tokens belong to the application's own pages; this harness posts forms directly.
    return [
        path("login", csrf_exempt(login_view)),
        path("login/mfa", csrf_exempt(mfa_view)),
        path("account", account_view),
    ]


urlpatterns = []


def setup(directory):
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    call_command("migrate", verbosity=0)
    editors = Group.objects.create(name="editors")
    support = Group.objects.create(name="support")
    users = {}

    # Alice: staff, in two groups, with an authenticator app and recovery codes.
    alice = User.objects.create_user("Alice", "alice@example.com", "alice-pass-1", first_name="Alice", is_staff=True)
    alice.groups.add(editors, support)
    totp = TOTPDevice.objects.create(user=alice, name="Alice's Pixel", confirmed=True)
    codes = StaticDevice.objects.create(user=alice, name="backup codes", confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(3)]
    for token in tokens:
        codes.token_set.create(token=token)
    users["Alice"] = {"password": "alice-pass-1", "totp_key_hex": totp.key, "recovery_codes": tokens}

    # alice: another person whose username differs only in case (Django usernames are case-sensitive).
    User.objects.create_user("alice", "alice.other@example.org", "other-alice-2")
    users["alice"] = {"password": "other-alice-2"}

    # Carol: a hardware OTP token (HOTP) the new platform cannot hold.
    carol = User.objects.create_user("carol", "carol@example.com", "carol-pass-3")
    HOTPDevice.objects.create(user=carol, name="YubiKey OTP", confirmed=True, counter=7)
    users["carol"] = {"password": "carol-pass-3"}

    # root: a superuser, held on legacy by a rule.
    User.objects.create_superuser("root", "root@example.com", "root-pass-4")
    users["root"] = {"password": "root-pass-4"}

    # dave: deactivated.
    User.objects.create_user("dave", "dave@example.com", "dave-pass-5", is_active=False)
    users["dave"] = {"password": "dave-pass-5"}
    print(json.dumps(users))


def device(username):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get(user__username=username)


def code(username, offset=0):
    from django_otp.oath import TOTP

    totp_device = device(username)
    totp = TOTP(totp_device.bin_key, totp_device.step, totp_device.t0, totp_device.digits, totp_device.drift)
    totp.time = time.time() + offset * totp_device.step
    return f"{totp.token():0{totp_device.digits}d}"


def serve(port):
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server("127.0.0.1", port, get_wsgi_application(), handler_class=Quiet).serve_forever()


if __name__ == "__main__":
    command, directory = sys.argv[1], sys.argv[2]
    configure(directory)
    urlpatterns = urls()
    if command == "setup":
        setup(directory)
    elif command == "use-code":
        ok = device(sys.argv[3]).verify_token(sys.argv[4])
        print("accepted" if ok else "refused")
    elif command == "code":
        print(code(sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0))
    elif command == "serve":
        serve(int(sys.argv[3]))
    else:
        sys.exit(__doc__)
