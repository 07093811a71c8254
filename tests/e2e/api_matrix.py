#!/usr/bin/env python3
"""api_matrix.py - the API's authorization matrix, driven against a real
server (run by test_api_matrix.sh, which builds the home; python3 standard
library only).

    api_matrix.py HOST:PORT WORLD.json ROUTES.json API_POLICY

What it does:

 1. The endpoints are those of lib/api's tables (ROUTES.json, from
    `api_policy routes`): nothing here lists them. For each one the served
    OpenAPI description (GET /api/v1/openapi.json) gives the names of its
    path parameters and an example request body.

 2. Every endpoint with a policy action, or one that needs a login, is
    called by every role - someone not logged in, an applicant, a
    verifier, an administrator, an auditor, agency systems with every scope
    and with one scope only - on targets chosen around the caller: itself,
    a person of its own agency and a person of another agency. A target is
    put into the request where the request names one: path parameters
    (application_id, account_id, client_id, document_id, id_dokumen, nik)
    and body fields (agency_id, nik, email; the passphrase is the owner's
    real one, so that an allowed signing really signs and a refused one is
    not mistaken for a wrong passphrase). An endpoint that names no target
    (a listing, a request about the caller itself) is called once per role.

 3. What to expect comes from the policy table, through `api_policy
    check`: ra_policy_check(actor, the endpoint's action, target), or for
    an endpoint without a target whether the actor may do the action for
    anyone (ra_policy_reach). Then:
       - a caller the endpoint does not authenticate (someone not logged in
         on a session endpoint, a person on an agency-system endpoint, an
         agency system on a session endpoint): 401;
       - allowed: neither 401 nor 403, and no server failure (5xx);
       - refused: 403, or 404 for something the caller may not know of, or
         an answer that treats it as unknown (a status of NOT_REGISTERED,
         BSrE's 2011 / 1110).
    Refusals are tried before the allowed calls of an endpoint, so that an
    allowed call that uses something up cannot hide a refusal.

 4. CSRF: every unsafe endpoint a session may call answers 403 csrf_invalid
    to a logged-in person who sends no token or a wrong one.

 5. A session after logout: every endpoint a session may call answers 401.

Sessions that an allowed call ended (a logout) are logged in again; staff
log in with codes of their authenticators (RFC 6238), never one twice.
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import struct
import subprocess
import sys
import time
import uuid

HOSTPORT, WORLD, ROUTES, POLICY = sys.argv[1:5]
world = json.load(open(WORLD))
routes = json.load(open(ROUTES))
people = world["people"]
failures = []
counts = {"calls": 0, "allowed": 0, "refused": 0, "unauthenticated": 0, "skipped": 0}
allowed_404 = []
keyless = []  # allowed signing calls by accounts that hold no key


def log(*a):
    print(*a, flush=True)


# ------------------------------------------------------------------ HTTP

class Conn:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self):
        self.c = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(3):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(HOSTPORT, timeout=60)
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                counts["calls"] += 1
                return r.status, data, r
            except (http.client.HTTPException, ConnectionError, OSError):
                if self.c is not None:
                    self.c.close()
                self.c = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def j(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def errcode(data):
    d = j(data)
    if isinstance(d, dict) and isinstance(d.get("error"), dict):
        return d["error"].get("code")
    return None


# ------------------------------------------------------------------ actors

used_steps = {}  # email -> the newest TOTP step used


def totp_code(email, secret):
    """A code of a step never used before, within the server's window of one step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    while True:
        now = int(time.time()) // 30
        for step in (now - 1, now, now + 1):
            if step > used_steps.get(email, -1):
                used_steps[email] = step
                h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
                o = h[-1] & 15
                return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
        time.sleep(2)


class Actor:
    def __init__(self, name, role, account_id=0, agency_id=0, email=None, scopes=None,
                 basic=None):
        self.name, self.role = name, role
        self.account_id, self.agency_id = account_id, agency_id
        self.email, self.scopes, self.basic = email, scopes, basic
        self.cookie = self.csrf = None
        self.conn = Conn()

    @property
    def session(self):
        return self.email is not None and self.basic is None

    def login(self):
        p = people[self.email]
        body = {"email": self.email, "password": world["password"]}
        if "totp" in p:
            body["code"] = totp_code(self.email, p["totp"])
        st, data, r = self.conn.request("POST", "/api/v1/session", json.dumps(body),
                                        {"Content-Type": "application/json"})
        if st != 200:
            raise SystemExit("login %s: %d %s" % (self.email, st, data[:300]))
        m = re.search(r"sertel_session=([A-Za-z0-9_-]+)", r.getheader("Set-Cookie", ""))
        self.cookie = m.group(1)
        self.csrf = j(data)["csrf_token"]

    def headers(self, unsafe, csrf=True):
        h = {}
        if self.basic:
            h["Authorization"] = "Basic " + base64.b64encode(self.basic.encode()).decode()
        elif self.cookie:
            h["Cookie"] = "sertel_session=" + self.cookie
            if unsafe and csrf:
                h["X-CSRF-Token"] = self.csrf
        return h

    def alive(self):
        if not self.session:
            return True
        st, _, _ = self.conn.request("GET", "/api/v1/session", None, self.headers(False))
        return st == 200


def person(email):
    return people[email]


# ------------------------------------------------------------------ policy

class Policy:
    """api_policy check as a coprocess: the library's answer for one question."""

    def __init__(self):
        self.p = subprocess.Popen([POLICY, "check"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.cache = {}

    def allowed(self, actor, act, target):
        key = (actor.role, actor.account_id, actor.agency_id, actor.scopes, act,
               None if target is None else (target["account_id"], target["agency_id"]))
        if key not in self.cache:
            role = "public" if actor.role == "public" else actor.role
            line = "%s %s %s %s %s %s %s\n" % (
                role, actor.account_id or 0, actor.agency_id or 0, actor.scopes or "-", act,
                "-" if target is None else target["account_id"],
                "-" if target is None else target["agency_id"])
            self.p.stdin.write(line)
            self.p.stdin.flush()
            ans = self.p.stdout.readline().strip()
            if ans not in ("allow", "deny"):
                raise SystemExit("api_policy check: %r for %s" % (ans, line))
            self.cache[key] = ans == "allow"
        return self.cache[key]


# ------------------------------------------------------------------ requests

def openapi_ops(doc):
    """(method, path with {} segments) -> (parameter names in path order, operation)."""
    out = {}
    comps = doc.get("components", {}).get("parameters", {})
    for p, item in doc["paths"].items():
        norm = re.sub(r"{[^}/]+}", "{}", p)
        names = re.findall(r"{([^}/]+)}", p)
        for m, op in item.items():
            if not isinstance(op, dict):
                continue
            schemas = {}
            for prm in op.get("parameters", []):
                if "$ref" in prm:
                    prm = comps[prm["$ref"].split("/")[-1]]
                if prm.get("in") == "path":
                    schemas[prm["name"]] = prm.get("schema", {})
            out[(m.upper(), norm)] = (names, schemas, op)
    return out


# Requests the example bodies cannot make as they are (the example documents the endpoint;
# the matrix needs a request that reaches the authorization and changes nothing it relies on).
_b64 = {}


def b64_of(path):
    if path not in _b64:
        _b64[path] = base64.b64encode(open(path, "rb").read()).decode()
    return _b64[path]


def json_override(key, ex, actor):
    if key == ("POST", "/api/v1/factor/totp") and actor is not None and actor.role == "applicant":
        # a certificate owner enrols the signing authenticator with the passphrase (staff send
        # {}: enrolled at their first login, they are answered 409)
        return {"passphrase": world["passphrase"]}
    if key == ("PUT", "/api/v1/account/password"):
        # refused for its new password before the current one is checked: nothing is counted
        # against the account's logins and no session ends
        return {"current_password": "not-the-password", "new_password": "short"}
    if key == ("POST", "/api/v2/sign/pdf"):
        ex["file"] = [b64_of(world["letter"])]  # a real PDF: an allowed signing really signs
    if key == ("POST", "/api/v2/verify/pdf"):
        ex["file"] = b64_of(world["letter"])
    return ex


# Fields a session never names: it signs as itself (only agency systems name the owner).
CLIENT_ONLY = {("POST", "/api/v1/sign"): {"nik", "email"},
               ("POST", "/api/v1/sign/batch"): {"nik", "email"}}

PATH_TARGETS = {"application_id": "application_id", "account_id": "account_id",
                "client_id": "client_id", "document_id": "document_id",
                "id_dokumen": "document_id", "nik": "nik"}
BODY_TARGETS = {"agency_id": "agency_id", "nik": "nik", "email": "email"}


def example_of(op, kind):
    rb = op.get("requestBody") or {}
    c = rb.get("content", {}).get(kind, {})
    ex = c.get("example")
    if ex is None:
        ex = {k: v.get("example") for k, v in c.get("schema", {}).get("properties", {}).items()
              if "example" in v}
    return ex, c.get("schema", {})


def multipart(fields, files):
    b = "matrix" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                    (b, k, v)).encode())
    for k, (fn, ctype, data) in files.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (b, k, fn, ctype)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


def build(route, spec, target, actor=None):
    """The request for route on target by actor: (path, body, headers), or None when the target
    lacks something the request needs; and the set of the target's fields put into it."""
    names, pschemas, op = spec
    key = (route["method"], route["path"])
    drop = CLIENT_ONLY.get(key, set()) if actor is None or actor.basic is None else set()
    segs = route["path"].split("/")
    k = 0
    used = set()
    for i, s in enumerate(segs):
        if s != "{}":
            continue
        name = names[k] if k < len(names) else None
        k += 1
        if name in PATH_TARGETS:
            v = None if target is None else target.get(PATH_TARGETS[name])
            if v is None:
                return None, used
            segs[i] = str(v)
            used.add(PATH_TARGETS[name])
        elif pschemas.get(name, {}).get("enum"):
            segs[i] = str(pschemas[name]["enum"][0])
        else:
            raise SystemExit("%s %s: no way to fill path parameter '%s': map it in "
                             "api_matrix.py's PATH_TARGETS or give it an enum" %
                             (route["method"], route["path"], name))
    path = "/".join(segs)
    body, headers = None, {}
    if route["in"] == "json":
        ex, _ = example_of(op, "application/json")
        ex = json_override(key, dict(ex or {}), actor)
        for f, t in BODY_TARGETS.items():
            if f in ex:
                if target is None or target.get(t) is None:
                    return None, used
                ex[f] = target[t]
                used.add(t)
        if "passphrase" in ex:
            ex["passphrase"] = world["passphrase"]
        body = json.dumps(ex)
        headers["Content-Type"] = "application/json"
    elif route["in"] == "form":
        ex, schema = example_of(op, "multipart/form-data")
        ex = dict(ex or {})
        fields, files = {}, {}
        props = schema.get("properties", {})
        for name, ps in props.items():
            # the files the request needs (an optional image or attachment would only add
            # a refusal of its own)
            if name not in schema.get("required", []):
                continue
            if ps.get("format") == "binary" or "contentMediaType" in ps:
                if "ktp" in name:
                    files[name] = ("ktp.jpg", "image/jpeg", open(world["ktp"], "rb").read())
                else:
                    files[name] = ("dokumen.pdf", "application/pdf",
                                   open(world["letter"], "rb").read())
        for f, v in ex.items():
            if f in files or f in drop:
                continue
            if f in BODY_TARGETS:
                if target is None or target.get(BODY_TARGETS[f]) is None:
                    return None, used
                v = target[BODY_TARGETS[f]]
                used.add(BODY_TARGETS[f])
            if f == "passphrase":
                v = world["passphrase"]
            fields[f] = v
        body, headers["Content-Type"] = multipart(fields, files)
    return (path, body, headers), used


def looks_unknown(data):
    """An answer that treats the target as unknown (a refusal that must not tell)."""
    d = j(data)
    text = json.dumps(d) if d is not None else ""
    return "NOT_REGISTERED" in text or re.search(r'"status_code": (2011|1110)\b', text)


def authenticates(route, actor):
    a = route["auth"]
    if a == "none":
        return True
    if actor.role == "public":
        return False
    if a == "session":
        return actor.session
    if a == "client":
        return actor.basic is not None
    return True  # any


# ------------------------------------------------------------------ the run

def main():
    conn = Conn()
    st, data, _ = conn.request("GET", "/api/v1/openapi.json")
    if st != 200:
        raise SystemExit("GET /api/v1/openapi.json: %d" % st)
    ops = openapi_ops(json.loads(data))
    policy = Policy()

    pa, va, pb = person("rina@uji.go.id"), person("verif@uji.go.id"), person("budi@lain.go.id")
    admin = Actor("admin", "admin", person("admin@sertel.local")["account_id"], 0,
                  "admin@sertel.local")
    actors = [
        Actor("public", "public"),
        Actor("applicant", "applicant", pa["account_id"], pa["agency_id"], pa["email"]),
        Actor("verifier", "verifier", va["account_id"], va["agency_id"], va["email"]),
        admin,
        Actor("auditor", "auditor", person("audit@bssn.go.id")["account_id"], 0,
              "audit@bssn.go.id"),
    ]
    for a in actors:
        if a.session:
            a.login()

    # Agency systems, added by the administrator: those that call, and those a path names.
    def client(agency, scopes, name):
        st, data, _ = admin.conn.request(
            "POST", "/api/v1/clients",
            json.dumps({"agency_id": agency, "name": name, "scopes": scopes}),
            {**admin.headers(True), "Content-Type": "application/json"})
        if st != 201:
            raise SystemExit("adding a client: %d %s" % (st, data[:300]))
        d = j(data)
        return d["client"]["id"], d["secret"]

    ag_a, ag_b = pa["agency_id"], pb["agency_id"]
    for scopes in ("sign,verify,status,register", "verify", "status"):
        cid, secret = client(ag_a, scopes, "sistem " + scopes)
        actors.append(Actor("client[%s]" % scopes, "client", 0, ag_a, None, scopes,
                            cid + ":" + secret))
    target_client = {ag_a: client(ag_a, "status", "sasaran A")[0],
                     ag_b: client(ag_b, "status", "sasaran B")[0]}

    def bundle(p, self_only=False):
        t = dict(p)
        t["client_id"] = target_client.get(p["agency_id"])
        if self_only:  # an account that is not a person: only what an account has
            t.update(nik=None, application_id=None, document_id=None, client_id=None)
        return t

    targets = {
        "public": [bundle(pa), bundle(pb)],
        "applicant": [bundle(pa), bundle(va), bundle(pb)],
        "verifier": [bundle(va), bundle(pa), bundle(pb)],
        "admin": [bundle(person("admin@sertel.local"), True), bundle(pa), bundle(pb)],
        "auditor": [bundle(person("audit@bssn.go.id"), True), bundle(pa), bundle(pb)],
    }
    for a in actors:
        if a.role == "client":
            targets[a.name] = [bundle(pa), bundle(va), bundle(pb)]

    covered = {}
    for route in routes:
        key = (route["method"], route["path"])
        if route["act"] is None and route["auth"] == "none":
            log("public, no policy action: %s %s" % key)
            continue
        if key not in ops:
            failures.append("%s %s: not in the OpenAPI description" % key)
            continue
        unsafe = route["method"] not in ("GET", "HEAD")
        plan = []
        for a in actors:
            for t in targets.get(a.name, [None]):
                req, used = build(route, ops[key], t, a)
                targeted = bool(used)
                if req is None:
                    counts["skipped"] += 1
                    continue
                if not authenticates(route, a):
                    want = "401"
                elif route["act"] is None:
                    want = "allow"
                else:
                    tt = None
                    if targeted:
                        # a request naming a person targets the person; one naming only an
                        # agency (or an agency's client) the agency
                        named = used & {"application_id", "account_id", "document_id", "nik",
                                        "email"}
                        tt = {"account_id": t["account_id"] if named else 0,
                              "agency_id": t["agency_id"]}
                    want = "allow" if policy.allowed(a, route["act"], tt) else "deny"
                plan.append((want, a, t, req, targeted))
                if not targeted:
                    break  # one call per role when the request names no target
        # refusals first
        plan.sort(key=lambda p: {"401": 0, "deny": 1, "allow": 2}[p[0]])
        for want, a, t, (path, body, hdr), targeted in plan:
            headers = {**a.headers(unsafe), **hdr}
            st, data, _ = a.conn.request(route["method"], path, body, headers)
            who = "%s on %s" % (a.name, t["email"] if (t and targeted) else "-")
            ok = False
            if want == "401":
                counts["unauthenticated"] += 1
                ok = st == 401
                covered.setdefault(key, set()).add("deny")
            elif want == "allow":
                counts["allowed"] += 1
                ok = st not in (401, 403) and st < 500
                if (not ok and st == 403 and route["act"] == "sign" and a.session
                        and person(a.email)["nik"] is None and errcode(data) == "passphrase_wrong"):
                    # Allowed to sign its own, but an administrator or auditor holds no key:
                    # the library's one answer for every failed unlock (no oracle) is
                    # passphrase_wrong, given after the authorization, not by it.
                    ok = True
                    keyless.append("%s %s %s" % (route["method"], path, who))
                if st == 404:
                    allowed_404.append("%s %s %s" % (route["method"], path, who))
                covered.setdefault(key, set()).add("allow")
            else:
                counts["refused"] += 1
                ok = st in (403, 404) or (st < 500 and looks_unknown(data))
                covered.setdefault(key, set()).add("deny")
            if not ok:
                failures.append("%s %s (%s) as %s: expected %s, got %d %s" % (
                    route["method"], path, route["act"], who, want, st,
                    data[:200].decode("utf-8", "replace")))
            if want == "allow" and unsafe and a.session and not a.alive():
                a.login()  # the call ended the session (a logout)
        for a in actors:
            if a.session and not a.alive():
                a.login()
    for route in routes:
        key = (route["method"], route["path"])
        if route["act"] is not None and covered.get(key) != {"allow", "deny"}:
            failures.append("%s %s (%s): the matrix never saw it both allowed and refused (%s):"
                            " give it a target the roles disagree on"
                            % (key[0], key[1], route["act"], sorted(covered.get(key, ()))))

    # CSRF: a logged-in applicant without the token, and with a wrong one.
    csrf_calls = 0
    applicant = actors[1]
    for route in routes:
        if route["method"] in ("GET", "HEAD") or route["auth"] not in ("session", "any"):
            continue
        key = (route["method"], route["path"])
        for t in targets["applicant"]:
            req, _ = build(route, ops[key], t, applicant)
            if req is not None:
                break
        if req is None:
            failures.append("%s %s: no request could be built for the CSRF check" % key)
            continue
        path, body, hdr = req
        for label, token in (("no", None), ("a wrong", applicant.csrf[:-2] + "xx")):
            headers = {**applicant.headers(True, csrf=False), **hdr}
            if token:
                headers["X-CSRF-Token"] = token
            st, data, _ = applicant.conn.request(route["method"], path, body, headers)
            csrf_calls += 1
            if st != 403 or errcode(data) != "csrf_invalid":
                failures.append("%s %s with %s CSRF token: expected 403 csrf_invalid, got %d %s"
                                % (key[0], path, label, st, data[:200]))
        if not applicant.alive():
            failures.append("%s %s without a valid CSRF token ended the session" % key)
            applicant.login()

    # A session after logout.
    gone = Actor("logged-out", "applicant", applicant.account_id, applicant.agency_id,
                 applicant.email)
    gone.login()
    st, _, _ = gone.conn.request("DELETE", "/api/v1/session", None, gone.headers(True))
    if st != 204:
        failures.append("logout: %d" % st)
    after_calls = 0
    for route in routes:
        if route["auth"] not in ("session", "any"):
            continue
        key = (route["method"], route["path"])
        req = None
        for t in targets["applicant"]:
            req, _ = build(route, ops[key], t, gone)
            if req is not None:
                break
        if req is None:
            continue
        path, body, hdr = req
        st, data, _ = gone.conn.request(route["method"], path, body,
                                        {**gone.headers(route["method"] not in ("GET", "HEAD")),
                                         **hdr})
        after_calls += 1
        if st != 401 or errcode(data) != "session_invalid":
            failures.append("%s %s after logout: expected 401 session_invalid, got %d %s"
                            % (key[0], path, st, data[:200]))

    log("matrix: %d endpoints, %d calls: %d allowed, %d refused, %d unauthenticated, "
        "%d combinations without a target of that kind" % (
            len(routes), counts["calls"], counts["allowed"], counts["refused"],
            counts["unauthenticated"], counts["skipped"]))
    log("CSRF: %d calls; after logout: %d calls" % (csrf_calls, after_calls))
    if allowed_404:
        log("allowed but 404 (the thing was gone or is not one the endpoint serves):")
        for x in allowed_404:
            log("  " + x)
    if keyless:
        log("allowed, but the caller holds no key to unlock (passphrase_wrong after the policy):")
        for x in keyless:
            log("  " + x)
    for f in failures:
        log("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
