#!/bin/bash
# End-to-end: the command for the people who use it. Every command that
# `sertel --help` lists answers --help with exit 0, a usage line and a
# description; decisions say what happened in a sentence, --quiet gives
# only the id and --json one object; every listing (agency, account,
# review list and show, audit, client, cert, doc) gives one JSON document
# with stable fields; a verifier sees only its own agency. Secrets: never
# an argument; typed on a terminal (a real pseudo-terminal driven by
# python's pty) with echo off, asked twice for a new one, a mismatch or a
# missing terminal refused without spending the token; read from standard
# input with -; Ctrl-C at the prompt leaves the terminal's echo on.
. "$(dirname "$0")/lib.sh"
S() { "$SERTEL" --home "$H" "$@"; }
jq_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }
# jget FILE EXPR: EXPR of the JSON document d in FILE ('["id"]' or '[0]' mean d["id"], d[0]).
jget() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=sys.argv[2]; print(eval("d"+e if e[0]=="[" and e[1] in "\"0123456789" else e))' "$1" "$2"
}

# --- every command answers --help ---
expect_exit 0 "sertel --help" -- "$SERTEL" --help
cp "$T/out" "$T/help"
# Command lines: two spaces, the command's words (a|b|c for alternatives), two spaces, what it does.
sed -n 's/^  \([a-z][a-z |]*[a-z]\)  .*/\1/p' "$T/help" | sed 's/ *$//' >"$T/cmds"
n=0
while read -r line; do
    last=${line##* }
    head=${line% *}
    [ "$head" = "$line" ] && head=""
    for alt in ${last//|/ }; do
        words="${head:+$head }$alt"
        n=$((n + 1))
        # shellcheck disable=SC2086
        "$SERTEL" $words --help >"$T/h.out" 2>"$T/h.err"
        rc=$?
        if [ $rc = 0 ] && grep -q "^usage: sertel" "$T/h.out" && [ "$(grep -cv '^ *$' "$T/h.out")" -ge 3 ]; then
            pass "sertel $words --help: exit 0, a usage line and a description"
        else
            fail "sertel $words --help: exit $rc: $(head -c 300 "$T/h.out") $(head -c 300 "$T/h.err")"
        fi
    done
done <"$T/cmds"
[ "$n" -ge 45 ] && pass "$n commands listed in sertel --help" || fail "only $n commands found in sertel --help"
expect_exit 2 "an unknown subcommand" -- "$SERTEL" review frobnicate
expect_grep "unknown subcommand 'frobnicate'" "$T/err" "says which"
expect_exit 2 "a group without its subcommand" -- "$SERTEL" agency
expect_grep "usage: sertel \[--home DIR\] agency add" "$T/err" "lists the group's subcommands"

# --- a home: two agencies, a verifier each, people ---
H=$T/home
new_home "$H"
fast_kdf "$H"
expect_exit 0 "agency add: a sentence" -- S agency add --name "Kementerian Uji" --domain uji.go.id --domain kemuji.go.id
expect_grep "^registered agency Kementerian Uji \(agency 1\); official e-mail domains: uji.go.id, kemuji.go.id$" \
    "$T/out" "agency add says what was registered, with the id"
expect_exit 0 "agency add --quiet: the id" -- S agency add --name "Dinas Lain" --domain lain.go.id --quiet
[ "$(cat "$T/out")" = 2 ] && pass "--quiet prints only the id" || fail "--quiet printed: $(cat "$T/out")"
expect_exit 0 "agency add --json" -- S agency add --name "Dinas Tiga" --domain tiga.go.id --json
jq_ok "$T/out" && [ "$(jget "$T/out" '["id"]')" = 3 ] && [ "$(jget "$T/out" '["domains"][0]')" = tiga.go.id ] &&
    pass "--json: one object with id and domains" || fail "agency add --json: $(cat "$T/out")"
expect_exit 2 "--quiet and --json together are refused" -- S agency add --name X --domain x.go.id --quiet --json
S account add --role verifier --agency 1 --email verif@uji.go.id --name "Verifikator Uji" >"$T/out" ||
    fail "account add: $(cat "$T/out")"
expect_grep "^added verifier Verifikator Uji <verif@uji.go.id> \(account 2\) for agency 1" "$T/out" "account add says so"
S account add --role verifier --agency 2 --email verif@lain.go.id --name "Verifikator Lain" --quiet >/dev/null
S account add --role auditor --email audit@bssn.go.id --name Auditor --quiet >/dev/null
expect_exit 0 "register" -- S register --agency 1 --name "Rina Wulandari" --nik 3201015201900001 \
    --email rina@uji.go.id --unit "Biro Umum" --position Analis
expect_grep "^registered Rina Wulandari \(account 5\) for agency 1; confirmation mailed to rina@uji.go.id" "$T/out" \
    "register: the person, the account id and where the mail went"
RINA_TOK=$(token_of "$(mail_in "$H" rina@uji.go.id)")
S register --agency 2 --name "Orang Lain" --nik 6271015201900009 --email orang@lain.go.id --unit U \
    --position P --quiet >"$T/out" && [ "$(cat "$T/out")" = 6 ] && pass "register --quiet: the account id" ||
    fail "register --quiet: $(cat "$T/out")"

# email confirm: the login password from standard input (-)
printf 'a-good-long-password\n' | S email confirm --token "$RINA_TOK" --password-file - >"$T/out" 2>"$T/err" &&
    pass "email confirm --password-file - (standard input)" || fail "email confirm: $(cat "$T/err")"
expect_grep "confirmed; the login password is set" "$T/out" "says the password is set"
[ "$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT password_hash LIKE '\$argon2id\$%' FROM accounts WHERE email='rina@uji.go.id'")" = 1 ] &&
    pass "the password from stdin is stored as an Argon2id hash" || fail "no password hash"
expect_exit 0 "apply --quiet: the application id" -- S apply issuance --email rina@uji.go.id \
    --letter "$SERTEL_TEST_DATA/letter.pdf" --ktp "$SERTEL_TEST_DATA/ktp.jpg" --quiet
APP=$(cat "$T/out")
[ "$APP" = 1 ] && pass "application 1" || fail "apply printed '$APP'"
S email confirm --token "$(token_of "$(mail_in "$H" orang@lain.go.id)")" >/dev/null
S apply issuance --email orang@lain.go.id --letter "$SERTEL_TEST_DATA/letter.pdf" \
    --ktp "$SERTEL_TEST_DATA/ktp.png" >"$T/out"
expect_grep "^application 2 submitted: issuance for orang@lain.go.id; the agency's verifier decides it" "$T/out" \
    "apply says what was submitted"
expect_exit 0 "review return: a sentence" -- S review return 1 --verifier verif@uji.go.id --reason "foto e-KTP buram"
expect_grep "^application 1 returned for revision \(issuance for rina@uji.go.id\); rina@uji.go.id was told why$" \
    "$T/out" "review return says what happened"
S apply issuance --email rina@uji.go.id --letter "$SERTEL_TEST_DATA/letter.pdf" --ktp "$SERTEL_TEST_DATA/ktp.png" --quiet >/dev/null
expect_exit 0 "review approve --json" -- S review approve 1 --verifier verif@uji.go.id --json
jq_ok "$T/out" && [ "$(jget "$T/out" '["state"]')" = approved ] && [ "$(jget "$T/out" '["applicant"]')" = rina@uji.go.id ] &&
    pass "review approve --json: state and applicant" || fail "approve --json: $(cat "$T/out")"

# --- listings: one JSON document each, stable fields; reach by role ---
expect_exit 0 "agency list --json" -- S agency list --json
jq_ok "$T/out" && [ "$(jget "$T/out" '[0]["domains"]')" = "['kemuji.go.id', 'uji.go.id']" ] &&
    [ "$(jget "$T/out" '[0]["people"]')" = 1 ] && [ "$(jget "$T/out" '[0]["verifiers"]')" = 1 ] &&
    [ "$(jget "$T/out" 'len(d)')" = 3 ] && pass "agency list --json: every agency, domains, people, verifiers" ||
    fail "agency list --json: $(cat "$T/out")"
expect_exit 0 "agency list as a verifier" -- S agency list --by verif@lain.go.id --json
[ "$(jget "$T/out" '[x["id"] for x in d]')" = "[2]" ] && pass "a verifier sees only its own agency" ||
    fail "verifier's agencies: $(cat "$T/out")"
expect_exit 0 "agency list (text)" -- S agency list
expect_grep "^ID +PEOPLE +VERIFIERS" "$T/out" "agency list has a header"
expect_grep "^1 .*uji.go.id.*Kementerian Uji$" "$T/out" "and a row per agency"
expect_exit 0 "account list --json" -- S account list --json
jq_ok "$T/out" && [ "$(jget "$T/out" '[x["person"]["status"] for x in d if x["email"]=="rina@uji.go.id"][0]')" = NEW ] &&
    [ "$(jget "$T/out" '[x["person"] for x in d if x["email"]=="admin@sertel.local"][0]')" = None ] &&
    [ "$(jget "$T/out" '[x["login_password"] for x in d if x["email"]=="rina@uji.go.id"][0]')" = True ] &&
    pass "account list --json: people with status, staff without" || fail "account list --json: $(cat "$T/out")"
expect_exit 0 "account list as a verifier" -- S account list --by verif@uji.go.id --json
[ "$(jget "$T/out" 'sorted(x["email"] for x in d)')" = "['rina@uji.go.id', 'verif@uji.go.id']" ] &&
    pass "a verifier lists only its agency's accounts" || fail "verifier's accounts: $(cat "$T/out")"
expect_exit 0 "review list --json" -- S review list --json
jq_ok "$T/out" && [ "$(jget "$T/out" '[x["id"] for x in d]')" = "[2]" ] && [ "$(jget "$T/out" '[0]["nik"]')" = 6271015201900009 ] &&
    pass "review list --json: the pending application with the person" || fail "review list --json: $(cat "$T/out")"
expect_exit 0 "review show --json" -- S review show 1 --json
jq_ok "$T/out" && [ "$(jget "$T/out" '["person"]["name"]')" = "Rina Wulandari" ] &&
    [ "$(jget "$T/out" '[x["kind"] for x in d["documents"]]')" = "['letter', 'ktp']" ] &&
    [ "$(jget "$T/out" '[x["event"] for x in d["history"]]')" = \
        "['submitted', 'returned', 'resubmitted', 'approved']" ] &&
    [ "$(jget "$T/out" 'd["history"][1]["note"]')" = "foto e-KTP buram" ] &&
    pass "review show --json: person, documents, history" || fail "review show --json: $(cat "$T/out")"
DOC=$(jget "$T/out" '[x["path"] for x in d["documents"] if x["kind"]=="letter"][0]')
SHA=$(jget "$T/out" '[x["sha256"] for x in d["documents"] if x["kind"]=="letter"][0]')
[ "$(sha256sum "$DOC" | cut -d' ' -f1)" = "$SHA" ] && pass "the letter is where review show says, with that SHA-256" ||
    fail "letter at $DOC"
expect_exit 0 "review show (text)" -- S review show 1
expect_grep "^  name: +Rina Wulandari" "$T/out" "review show: the person"
expect_grep "foto e-KTP buram" "$T/out" "review show: the history has the return's reason"
expect_exit 2 "another agency's verifier may not see the application" -- S review show 1 --verifier verif@lain.go.id
expect_exit 0 "review show by the auditor" -- S review show 1 --by audit@bssn.go.id --json
[ "$(jget "$T/out" 'd["documents"]')" = None ] && [ "$(jget "$T/out" 'len(d["history"])')" = 4 ] &&
    pass "the auditor sees the history, not the documents (application.documents)" ||
    fail "auditor's review show: $(cat "$T/out")"
expect_exit 0 "audit list --json" -- S audit list --json --event application.
jq_ok "$T/out" && [ "$(jget "$T/out" 'len(d)')" = 5 ] && [ "$(jget "$T/out" 'len(d[0]["hash"])')" = 64 ] &&
    [ "$(jget "$T/out" 'all(d[i]["seq"] < d[i+1]["seq"] for i in range(len(d)-1))')" = True ] &&
    pass "audit list --json --event: the applications' entries, oldest first, with hashes" ||
    fail "audit list --json: $(head -c 600 "$T/out")"
expect_exit 0 "audit list --after --limit" -- S audit list --after 3 --limit 2 --json
[ "$(jget "$T/out" '[x["seq"] for x in d]')" = "[4, 5]" ] && pass "audit list pages" || fail "paging: $(cat "$T/out")"
sqlite3 "file:$H/sertel.db?mode=ro" "SELECT seq, hex(hash) FROM audit_log WHERE seq = 4" | tr 'A-F' 'a-f' >"$T/db4"
[ "$(jget "$T/out" 'str(d[0]["seq"])+"|"+d[0]["hash"]')" = "$(cat "$T/db4")" ] &&
    pass "the hash listed is the one stored (sqlite3)" || fail "hash: $(cat "$T/db4")"
expect_exit 0 "audit list --details" -- S audit list --json --details '"application":1'
[ "$(jget "$T/out" 'len(d) > 0 and all(x["details"].get("application") == 1 for x in d)')" = True ] &&
    pass "audit list --details: the entries naming application 1" || fail "--details: $(head -c 600 "$T/out")"
expect_exit 0 "audit list by the auditor" -- S audit list --by audit@bssn.go.id
expect_exit 2 "audit list by a verifier is refused" -- S audit list --by verif@uji.go.id --json
[ -s "$T/out" ] && fail "a refused listing printed: $(head -c 200 "$T/out")" || pass "a refused listing prints nothing"
expect_grep "only administrators and auditors read the audit log" "$T/err" "and says who may"
S client add --agency 1 --name "E-Office" --scopes sign,status >/dev/null
for l in "client list" "cert list" "doc list"; do
    # shellcheck disable=SC2086
    S $l --json >"$T/out" 2>"$T/err"
    jq_ok "$T/out" && pass "$l --json: one JSON document" || fail "$l --json: $(head -c 300 "$T/out")"
done

# --- secrets: never an argument; stdin, a terminal, or a clear refusal ---
PTOK=$(token_of "$(mail_in "$H" rina@uji.go.id)")
expect_exit 2 "passphrase create with neither a file nor a terminal is refused" -- S passphrase create --token "$PTOK"
expect_grep "give the passphrase with --passphrase-file FILE \(or --passphrase-file - to read it from standard input\)" \
    "$T/err" "says how to give it"
cat >"$T/pty.py" <<'PY'
# pty.py SCRIPT.json: run argv on a new pseudo-terminal, wait for each expected text,
# type each line, optionally interrupt; print the transcript, the exit status and
# whether the terminal's echo is on afterwards, as JSON.
import json, os, select, signal, subprocess, sys, termios, time
spec = json.load(open(sys.argv[1]))
master, slave = os.openpty()
p = subprocess.Popen(spec["argv"], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
out, pos, deadline = b"", 0, time.time() + 60
def pump(until=None):
    global out
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
        if until is not None and until.encode() in out[pos:]:
            return True
        if until is None and p.poll() is not None and not r:
            return True
    return False
ok = True
for step in spec["steps"]:
    if step[0] == "expect":
        if not pump(step[1]):
            ok = False
            break
        pos = out.index(step[1].encode(), pos) + len(step[1])
    elif step[0] == "send":
        time.sleep(0.2)
        os.write(master, step[1].encode())
    elif step[0] == "intr":
        time.sleep(0.2)
        p.send_signal(signal.SIGINT)
try:
    p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    ok = False
pump()
echo = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
print(json.dumps({"ok": ok, "rc": p.returncode, "echo": echo, "out": out.decode("utf-8", "replace")}))
PY
# pty_run NAME ARGV... -- STEP...: run in a pseudo-terminal; result in $T/NAME.json
pty_run() {
    local name=$1
    shift
    python3 - "$@" >"$T/$name.spec" <<'PY'
import json, sys
a = sys.argv[1:]
i = a.index("--")
steps = []
for s in a[i + 1:]:
    kind, _, arg = s.partition(":")
    steps.append([kind, arg.replace("\\n", "\n")])
print(json.dumps({"argv": a[:i], "steps": steps}))
PY
    python3 "$T/pty.py" "$T/$name.spec" >"$T/$name.json"
}
pty_run mismatch "$SERTEL" --home "$H" passphrase create --token "$PTOK" -- \
    "expect:New passphrase: " "send:rahasia-pertama\n" "expect:Repeat the passphrase: " "send:rahasia-kedua\n"
[ "$(jget "$T/mismatch.json" '["rc"]')" = 2 ] && jget "$T/mismatch.json" '["out"]' | grep -q "differ: nothing was changed" &&
    pass "on a terminal: two different entries are refused" || fail "mismatch: $(cat "$T/mismatch.json")"
pty_run pass "$SERTEL" --home "$H" passphrase create --token "$PTOK" -- \
    "expect:New passphrase: " "send:rahasia-rina-99\n" "expect:Repeat the passphrase: " "send:rahasia-rina-99\n"
[ "$(jget "$T/pass.json" '["ok"]')" = True ] && [ "$(jget "$T/pass.json" '["rc"]')" = 0 ] &&
    jget "$T/pass.json" '["out"]' | grep -q "^certificate [0-9a-f]* issued" &&
    pass "passphrase typed twice on a terminal: the certificate is issued (the token survived the refusals)" ||
    fail "passphrase on a terminal: $(cat "$T/pass.json")"
jget "$T/pass.json" '["out"]' | grep -q "rahasia-rina-99" && fail "the passphrase was echoed" ||
    pass "the passphrase typed is not echoed"
[ "$(jget "$T/pass.json" '["echo"]')" = True ] && pass "echo is back on afterwards" || fail "echo left off"
pty_run auth "$SERTEL" --home "$H" authorize --email rina@uji.go.id --otp 00000000 -- \
    "expect:Passphrase: " "send:rahasia-rina-99\n"
[ "$(jget "$T/auth.json" '["ok"]')" = True ] && ! jget "$T/auth.json" '["out"]' | grep -q "rahasia-rina-99" &&
    pass "authorize asks on the terminal, without echo" || fail "authorize: $(cat "$T/auth.json")"
jget "$T/auth.json" '["out"]' | grep -q "Repeat" && fail "authorize asked twice" || pass "an existing passphrase is asked once"
pty_run intr "$SERTEL" --home "$H" authorize --email rina@uji.go.id -- "expect:Passphrase: " "send:rahasia" "intr:"
[ "$(jget "$T/intr.json" '["rc"]')" = -2 ] && [ "$(jget "$T/intr.json" '["echo"]')" = True ] &&
    pass "Ctrl-C at the prompt: the process ends by SIGINT and the terminal's echo is on again" ||
    fail "interrupted prompt: $(cat "$T/intr.json")"
# email confirm on a terminal: the login password asked twice; Enter alone sets none.
S register --agency 1 --name "Dewi Lestari" --nik 3201015201900002 --email dewi@uji.go.id --unit U --position P --quiet >/dev/null
pty_run confirm "$SERTEL" --home "$H" email confirm --token "$(token_of "$(mail_in "$H" dewi@uji.go.id)")" -- \
    "expect:New login password (Enter alone: none now): " "send:dewi-password-123\n" \
    "expect:Repeat the login password: " "send:dewi-password-123\n"
[ "$(jget "$T/confirm.json" '["rc"]')" = 0 ] &&
    [ "$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT password_hash IS NOT NULL FROM accounts WHERE email='dewi@uji.go.id'")" = 1 ] &&
    pass "email confirm on a terminal sets the login password" || fail "confirm: $(cat "$T/confirm.json")"
S register --agency 1 --name "Eko Prasetyo" --nik 3201011203880003 --email eko@uji.go.id --unit U --position P --quiet >/dev/null
pty_run confirm2 "$SERTEL" --home "$H" email confirm --token "$(token_of "$(mail_in "$H" eko@uji.go.id)")" -- \
    "expect:(Enter alone: none now): " "send:\n"
[ "$(jget "$T/confirm2.json" '["rc"]')" = 0 ] &&
    [ "$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT password_hash IS NULL FROM accounts WHERE email='eko@uji.go.id'")" = 1 ] &&
    pass "Enter alone confirms without a password" || fail "confirm2: $(cat "$T/confirm2.json")"
pty_run pwset "$SERTEL" --home "$H" password set --email eko@uji.go.id -- \
    "expect:New login password: " "send:eko-password-1234\n" "expect:Repeat the login password: " "send:eko-password-1234\n"
[ "$(jget "$T/pwset.json" '["rc"]')" = 0 ] && pass "password set on a terminal" || fail "password set: $(cat "$T/pwset.json")"
# sign --email: the passphrase from standard input, or refused without a terminal
printf 'rahasia-rina-99\n' >"$T/rina.pass"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
S sign --email rina@uji.go.id --passphrase-file - "$SERTEL_TEST_DATA/letter.pdf" "$T/signed.pdf" <"$T/rina.pass" >"$T/out" 2>"$T/err" &&
    pass "sign --email with the passphrase on standard input" || fail "sign from stdin: $(cat "$T/err")"
expect_exit 2 "sign --email without a passphrase and without a terminal" -- S sign --email rina@uji.go.id \
    "$SERTEL_TEST_DATA/letter.pdf" "$T/signed2.pdf"
expect_grep "passphrase-file F \(or - for standard input\)" "$T/err" "says how to give it"
[ -e "$T/signed2.pdf" ] && fail "an output was written" || pass "no output written"
# Every secret option takes a file, never the secret itself.
for c in "passphrase create" "authorize" "totp enroll" "email confirm" "password set" "sign"; do
    # shellcheck disable=SC2086
    "$SERTEL" $c --help >"$T/h" 2>&1
    if grep -Eq -- "--(passphrase|password|pin)( |=)[A-Z]+" "$T/h" && ! grep -Eq -- "--(passphrase|password|p12-password|pdf-password)-file" "$T/h"; then
        fail "$c takes a secret as an argument"
    else
        pass "$c: the secret is a file, standard input or the terminal"
    fi
done
S audit verify >/dev/null && pass "audit chain intact" || fail "audit verify"
finish
