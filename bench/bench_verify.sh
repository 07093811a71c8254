#!/bin/bash
# bench_verify.sh - validations per second of a signed ~100 KB PDF, a
# signed ~50 MB PDF and the same 50 MB PDF signed 20 times (20 revisions,
# each signature's changes analysed), offline, `sertel verify` (the
# sandboxed worker, the default, and --in-process) next to poppler's
# `pdfsig` on the same files in the same run (one process per validation
# for all). With BASE_BUILD_DIR, that build's sertel (an older revision) is
# measured on the same files too, interleaved with this one (ROUNDS rounds
# of new, new --in-process, old, pdfsig; the median of each): the ratio
# new / old is what docs/benchmarks.md records. Then bench_sandbox, the
# sandbox's cost per validation in one long-running process (as in
# `sertel serve`). Not a test.
#
# With --against OLD_SERTEL (repeatable: e.g. /work/baseline/build/sertel,
# or a build of the commit before a change), the per-process figures of the
# 107 KB file are taken in rounds instead (--rounds R, default 9): in each
# round every command (this build's default and --in-process, each
# OLD_SERTEL, pdfsig) runs N validations, in an order that rotates from
# round to round, so that a busy machine disturbs all of them alike; the
# table gives each command's median over the rounds (wall clock per
# validation, and CPU of the process and its children) and its ratio to the
# first OLD_SERTEL run the same way (trust anchor from --trust, or the
# home's root with --home).
#
# Usage: bench/bench_verify.sh [BUILD_DIR] [N] [BASE_BUILD_DIR] [ROUNDS]
#        bench/bench_verify.sh [BUILD_DIR] [N] --against OLD_SERTEL... [--rounds R]
#        (defaults: build, 50, none, 3; the 20-signature file runs N/10 times)
set -eu
cd "$(dirname "$0")/.."
B=build
N=50
BASE=
ROUNDS=
AGAINST=()
pos=0
while [ $# -gt 0 ]; do
    case $1 in
    --against) AGAINST+=("${2:?--against needs a sertel executable}"); shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    *)
        case $pos in 0) B=$1 ;; 1) N=$1 ;; 2) BASE=$1 ;; *) ROUNDS=$1 ;; esac
        pos=$((pos + 1))
        shift
        ;;
    esac
done
if [ -z "$ROUNDS" ]; then
    if [ ${#AGAINST[@]} -gt 0 ]; then ROUNDS=9; else ROUNDS=3; fi
fi
S=$(cd "$B" && pwd)/sertel
O=
[ -n "$BASE" ] && O=$(cd "$BASE" && pwd)/sertel
[ -x "$S" ] || { echo "build first: cmake --build $B" >&2; exit 2; }
[ -z "$O" ] || [ -x "$O" ] || { echo "no sertel in $BASE" >&2; exit 2; }
W=$(mktemp -d /var/tmp/sertel-bench-verify-XXXXXX)
trap 'rm -rf "$W"' EXIT

"$S" --home "$W/h" init </dev/null >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/k.pem" 2>/dev/null
openssl req -new -key "$W/k.pem" -subj "/C=ID/O=sertel Demo/CN=Bench Signer" \
    -addext "subjectAltName=email:bench@contoh.go.id" -out "$W/r.csr"
"$S" --home "$W/h" cert issue --csr "$W/r.csr" --profile document-signing >"$W/c.pem"
"$S" --home "$W/h" ca export --issuing >"$W/i.pem"
"$S" --home "$W/h" ca export --root >"$W/root.pem"
openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -certfile "$W/i.pem" -passout pass:bench1234 -out "$W/s.p12"
echo bench1234 >"$W/pw"
mkdir "$W/nss"
certutil -N -d "sql:$W/nss" --empty-password
certutil -A -d "sql:$W/nss" -n root -t "CT,C,C" -i "$W/root.pem"

# Unsigned inputs of ~100 KB and ~50 MB: one page with an image stream.
specs="small:102400"
[ ${#AGAINST[@]} -gt 0 ] || specs="$specs large:52428800"
for spec in $specs; do
    name=${spec%%:*}
    size=${spec#*:}
    python3 - "$W/$name.pdf" "$size" <<'PY'
import sys
out = open(sys.argv[1], 'wb'); size = int(sys.argv[2]); offs = {}
out.write(b'%PDF-1.7\n')
def obj(n, body):
    offs[n] = out.tell(); out.write(b'%d 0 obj\n' % n + body + b'\nendobj\n')
obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >> >>')
obj(4, b'<< /Length 30 >>\nstream\nq 100 0 0 100 50 600 cm /Im Do Q\nendstream')
w = 1024; h = max(1, size // w); offs[5] = out.tell()
out.write(b'5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n' % (w, h, w * h))
chunk = bytes(range(256)) * 4096; left = w * h
while left > 0:
    n = min(left, len(chunk)); out.write(chunk[:n]); left -= n
out.write(b'\nendstream\nendobj\n'); x = out.tell()
out.write(b'xref\n0 6\n0000000000 65535 f \n')
for i in range(1, 6): out.write(b'%010d 00000 n \n' % offs[i])
out.write(b'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
PY
    "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/$name.pdf" "$W/$name-signed.pdf" >/dev/null
done

# The 50 MB PDF signed 19 more times: 20 signatures, 20 revisions.
if [ ${#AGAINST[@]} -eq 0 ]; then
    cp "$W/large-signed.pdf" "$W/large20-signed.pdf"
    for i in $(seq 2 20); do
        "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/large20-signed.pdf" "$W/t.pdf" >/dev/null
        mv "$W/t.pdf" "$W/large20-signed.pdf"
    done
fi

# One round's figure: N runs of a command, wall clock and CPU per run in ms ("wall cpu").
per_run() {
    local n=$1 t
    shift
    t=$( { TIMEFORMAT='%3R %3U %3S'; time (for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 || true; done); } 2>&1 )
    awk -v n="$n" -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f %.3f\n", a[1] * 1000 / n, (a[2] + a[3]) * 1000 / n }'
}

if [ ${#AGAINST[@]} -gt 0 ]; then
    f=$W/small-signed.pdf
    labels=("--trust: sertel verify (this build, sandboxed)" "--trust: sertel verify --in-process (this build)")
    cmds=("$S --home $W/none verify --offline --trust $W/root.pem $f"
          "$S --home $W/none verify --offline --in-process --trust $W/root.pem $f")
    for o in "${AGAINST[@]}"; do
        [ -x "$o" ] || { echo "--against $o: not an executable" >&2; exit 2; }
        labels+=("--trust: sertel verify ($o)")
        cmds+=("$o --home $W/none verify --offline --trust $W/root.pem $f")
    done
    labels+=("--home: sertel verify (this build, sandboxed)" "--home: sertel verify --in-process (this build)"
             "--home: sertel verify (${AGAINST[0]})")
    cmds+=("$S --home $W/h verify --offline $f" "$S --home $W/h verify --offline --in-process $f"
           "${AGAINST[0]} --home $W/h verify --offline $f")
    labels+=("pdfsig -no-ocsp (NSS db with the root)")
    cmds+=("pdfsig -nssdir sql:$W/nss -no-ocsp $f")
    k=${#cmds[@]}
    echo "== per process, $(stat -c %s "$f") bytes, $ROUNDS rounds of $N validations, order rotating"
    : >"$W/rounds"
    for r in $(seq 0 $((ROUNDS - 1))); do
        for j in $(seq 0 $((k - 1))); do
            i=$(((j + r) % k))
            # shellcheck disable=SC2086
            echo "$i $(per_run "$N" ${cmds[$i]})" >>"$W/rounds"
        done
    done
    for i in $(seq 0 $((k - 1))); do
        awk -v i="$i" '$1 == i { print $2 }' "$W/rounds" | sort -n | awk '{ w[NR] = $1 } END { print w[int((NR + 1) / 2)] }' >"$W/med.$i"
        awk -v i="$i" '$1 == i { print $3 }' "$W/rounds" | sort -n | awk '{ c[NR] = $1 } END { print c[int((NR + 1) / 2)] }' >"$W/cpu.$i"
    done
    # each row next to the first --against measured the same way (--trust or --home)
    href=$((k - 2))
    for i in $(seq 0 $((k - 1))); do
        case ${labels[$i]} in --home*) ref=$href ;; *) ref=2 ;; esac
        awk -v l="${labels[$i]}" -v w="$(cat "$W/med.$i")" -v c="$(cat "$W/cpu.$i")" -v r="$(cat "$W/med.$ref")" \
            'BEGIN { printf "%-62s %7.2f ms (CPU %6.2f ms)  %5.3fx\n", l, w, c, w / r }'
    done
    echo "(all rounds: $W/rounds is removed at exit; medians above)"
    exit 0
fi

rate() { # count command... -> validations/s
    local n=$1 start end
    shift
    start=$(date +%s.%N)
    for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 || true; done
    end=$(date +%s.%N)
    awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", n / (e - s) }'
}
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
show() { # label rate
    awk -v l="$1" -v r="$2" 'BEGIN { printf "%-44s %8.2f validations/s (%.1f ms each)\n", l, r, 1000 / r }'
}
for name in small large large20; do
    n=$N
    [ "$name" = large20 ] && n=$(( N / 10 > 3 ? N / 10 : 3 ))
    sz=$(stat -c %s "$W/$name-signed.pdf")
    echo "== $name: $sz bytes, $(grep -c '/ByteRange' "$W/$name-signed.pdf") signatures, $n validations a round, $ROUNDS rounds"
    "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf" >"$W/v.txt" 2>&1 || true
    grep -m1 -E "Kesimpulan|conclusion" "$W/v.txt" || true
    pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf" 2>&1 | grep -m1 -E "Signature Validation" || true
    home="" trust="" inproc="" old="" pdf="" novis="" visall=""
    for _ in $(seq 1 "$ROUNDS"); do
        home="$home $(rate "$n" "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf")"
        trust="$trust $(rate "$n" "$S" --home "$W/none" verify --offline --trust "$W/root.pem" "$W/$name-signed.pdf")"
        inproc="$inproc $(rate "$n" "$S" --home "$W/none" verify --offline --in-process --trust "$W/root.pem" "$W/$name-signed.pdf")"
        [ -n "$O" ] && old="$old $(rate "$n" "$O" --home "$W/none" verify --offline --trust "$W/root.pem" "$W/$name-signed.pdf")"
        pdf="$pdf $(rate "$n" pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf")"
        # The visual check's cost: left out, and every compared page rendered.
        novis="$novis $(rate "$n" "$S" --home "$W/none" verify --offline --no-visual --trust "$W/root.pem" "$W/$name-signed.pdf")"
        visall="$visall $(rate "$n" "$S" --home "$W/none" verify --offline --visual-all --trust "$W/root.pem" "$W/$name-signed.pdf")"
    done
    home=$(echo $home | median) trust=$(echo $trust | median) inproc=$(echo $inproc | median)
    pdf=$(echo $pdf | median)
    show "sertel verify --offline (trusted home root)" "$home"
    show "sertel verify --offline --trust root.pem" "$trust"
    show "sertel verify --offline --in-process" "$inproc"
    if [ -n "$O" ]; then
        old=$(echo $old | median)
        show "older sertel ($BASE) --trust root.pem" "$old"
        awk -v a="$trust" -v b="$old" 'BEGIN { printf "%-44s %8.2fx\n", "this sertel / older sertel", a / b }'
        awk -v a="$inproc" -v b="$old" 'BEGIN { printf "%-44s %8.2fx\n", "this --in-process / older sertel", a / b }'
    fi
    show "pdfsig -no-ocsp (NSS db with the root)" "$pdf"
    awk -v a="$trust" -v b="$pdf" 'BEGIN { printf "%-44s %8.2fx\n", "this sertel / pdfsig", a / b }'
    novis=$(echo $novis | median) visall=$(echo $visall | median)
    show "sertel verify --trust --no-visual" "$novis"
    show "sertel verify --trust --visual-all" "$visall"
    awk -v a="$trust" -v b="$novis" 'BEGIN { printf "%-44s %8.2fx\n", "visual check (default) / --no-visual", b / a }'
    awk -v a="$visall" -v b="$novis" 'BEGIN { printf "%-44s %8.2fx\n", "--visual-all / --no-visual", b / a }'
    awk -v a="$visall" -v b="$pdf" 'BEGIN { printf "%-44s %8.2fx\n", "--visual-all sertel / pdfsig", a / b }'
done

# The sandbox in a long-running process: the worker image is started once.
if cmake --build "$B" --target bench_sandbox >/dev/null 2>&1; then
    for name in small large; do
        echo "== bench_sandbox, $name"
        "$B/bench_sandbox" "$W/$name-signed.pdf" "$W/root.pem" 15 $([ "$name" = small ] && echo 20 || echo 3)
    done
else
    echo "bench_sandbox did not build: cmake --build $B --target bench_sandbox"
fi
