#!/usr/bin/env bash
# Issue 7's acceptance over real HTTP, as a data pipeline would do it with curl: build a policy,
# a metric and a pilot with two iterations, upload a unit-level CSV per iteration, run the
# analysis and read its comparisons. The numbers equal the results pages' and
# `tracker analyse <pilot> --json`'s (tests/test_api_walkthrough.py runs this very script).
#
#   TOKEN=... scripts/api_walkthrough.sh          # a table, the web pages and the CLI command
#   TOKEN=... scripts/api_walkthrough.sh --json   # the analysis document (or WALKTHROUGH_JSON=1)
#
# TOKEN: a personal API token (/account/api-tokens) of an analyst or admin — metrics, uploads and
# analyses need the analyst role. API: defaults to `make run`'s http://127.0.0.1:5000/api/v1.
# Every run makes new records under a unique suffix, so it can run again on the same database.
# Progress goes to stderr; stdout holds only the table or the JSON.
set -euo pipefail

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
}

as_json=${WALKTHROUGH_JSON:-0}
for argument in "$@"; do
  case $argument in
    --json) as_json=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "api_walkthrough: unknown option '$argument' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ -z ${TOKEN:-} ]]; then
  echo "api_walkthrough: set TOKEN to a personal API token of an analyst or admin." >&2
  echo "  Sign in, open /account/api-tokens, create one, then: TOKEN=... $0" >&2
  exit 2
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "api_walkthrough: needs $tool on PATH" >&2; exit 2; }
done

API=${API:-http://127.0.0.1:5000/api/v1}
API=${API%/}
SITE=${API%/api/v1}  # Location headers are paths from here
suffix=$(date -u +%Y%m%d%H%M%S)-$$
policy=walkthrough-$suffix
pilot=walkthrough-trial-$suffix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { echo "$*" >&2; }

# call METHOD URL [curl options...]: the body lands in $work/body, the headers in $work/headers.
# Anything but 2xx stops the run with the status and the problem+json body.
call() {
  local method=$1 url=$2 status
  shift 2
  status=$(curl --silent --show-error --output "$work/body" --dump-header "$work/headers" \
    --write-out '%{http_code}' --request "$method" \
    --header "Authorization: Bearer $TOKEN" --header "Accept: application/json" \
    "$@" "$url") || { say "api_walkthrough: could not reach $url — is the app serving?"; exit 1; }
  if [[ $status != 2?? ]]; then
    say "api_walkthrough: $method $url answered HTTP $status:"
    cat "$work/body" >&2
    say ""
    case $status in
      401) say "The token was not accepted: make a new one at $SITE/account/api-tokens." ;;
      403) say "The token's owner needs the analyst or admin role." ;;
    esac
    exit 1
  fi
}

# post_json PATH JSON: create a record under $API.
post_json() {
  call POST "$API$1" --header "Content-Type: application/json" --data-binary "$2"
}

# header NAME: a header of the last response, e.g. Location or ETag.
header() {
  tr -d '\r' <"$work/headers" | awk -v name="$(tr '[:upper:]' '[:lower:]' <<<"$1"):" \
    'tolower($1) == name { sub(/^[^:]*: */, ""); value = $0 } END { print value }'
}

# write_csv FILE CONTROL_PAID CONTROL_UNPAID TEXT_PAID TEXT_UNPAID: one row per person.
write_csv() {
  local file=$1 numbers=("${@:2}") arms=(control control text text) paid=(1 0 1 0) i row
  echo "arm,paid" >"$file"
  for i in 0 1 2 3; do
    for ((row = 0; row < numbers[i]; row++)); do
      echo "${arms[i]},${paid[i]}"
    done >>"$file"
  done
}

say "Building policy $policy and pilot $pilot at $API"
post_json /policies "$(cat <<JSON
{"policy": {"slug": "$policy", "title": "Payment reminders ($suffix)", "team": "Revenues",
            "problem_statement": "People pay late."},
 "first_decision": {"to_stage": "idea", "rationale": "Cheap to try", "decided_by": "Board",
                    "decided_on": "$(date -u +%F)"}}
JSON
)"
post_json "/policies/$policy/metrics" \
  '{"key": "paid", "name": "Paid on time", "kind": "binary", "direction": "increase"}'
post_json "/policies/$policy/pilots" \
  "{\"slug\": \"$pilot\", \"title\": \"Reminder trial ($suffix)\", \"design\": \"individual_rct\"}"

# v1 gets its arms one by one; v2 copies v1's. Each iteration gets its own file.
counts=("" "30 70 40 60" "31 69 45 55")  # per iteration: control paid, not paid; text paid, not
for number in 1 2; do
  if ((number == 1)); then
    post_json "/pilots/$pilot/iterations" '{"number": 1, "what_changed": "First letter"}'
    post_json "/pilots/$pilot/iterations/1/arms" \
      '{"name": "control", "is_control": true, "allocation": 0.5}'
    post_json "/pilots/$pilot/iterations/1/arms" \
      '{"name": "text", "is_control": false, "allocation": 0.5}'
  else
    post_json "/pilots/$pilot/iterations?copy_arms_from=1" \
      '{"number": 2, "what_changed": "Shorter text"}'
  fi
  # shellcheck disable=SC2086  # the counts are four numbers, split on purpose
  write_csv "$work/v$number.csv" ${counts[$number]}
  call POST "$API/pilots/$pilot/iterations/$number/datasets" \
    --form "file=@$work/v$number.csv;type=text/csv;filename=reminders-v$number.csv" \
    --form 'column_mapping={"arm": "arm", "outcomes": {"paid": "paid"}}'
  say "  v$number: arms control and text, $(($(wc -l <"$work/v$number.csv") - 1)) rows uploaded"
  # A change sends back the ETag it read, so it never overwrites someone else's edit.
  call GET "$API/pilots/$pilot/iterations/$number"
  call PUT "$API/pilots/$pilot/iterations/$number" --header "If-Match: $(header ETag)" \
    --header "Content-Type: application/json" --data-binary '{"status": "analysing"}'
done

call POST "$API/pilots/$pilot/analyses"
run=$(header Location)
say "Analysed: $SITE$run"
call GET "$SITE$run"

if [[ $as_json == 1 ]]; then
  python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=2, ensure_ascii=False))' \
    <"$work/body"
  exit 0
fi

# The same number formats as `tracker analyse`'s table: 4 significant figures, p to 3.
python3 - "$work/body" <<'PYTHON'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as body:
    document = json.load(body)


def number(value, places=4):
    return "—" if value is None else f"{value:.{places}g}"


lines = [("comparison", "v", "arm vs baseline", "metric", "estimate", "95% CI", "p")]
for row in document["comparisons"]:
    lines.append(
        (
            row["comparison"],
            "" if row["iteration"] is None else f"v{row['iteration']}",
            f"{row['arm']} vs {row['baseline']}",
            row["metric"],
            number(row["estimate"]),
            f"{number(row['ci_low'])} to {number(row['ci_high'])}",
            number(row["p_value"], 3),
        )
    )
widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
for line in lines:
    print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
PYTHON

inputs_hash=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["inputs_hash"])' <"$work/body")
cat <<TEXT

Differences in proportions are fractions here (0.1); the web pages show percentage points (10.0).
Run $SITE$run of pilot $pilot, inputs SHA-256 $inputs_hash.
The same numbers on the web (signed in):
  $SITE/pilots/$pilot/iterations/1/results-analysis
  $SITE/pilots/$pilot/iterations/2/results-analysis
  $SITE/pilots/$pilot/learning
and from the terminal, on the server's database:
  .venv/bin/tracker analyse $pilot --json
TEXT
