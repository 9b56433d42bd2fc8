# shellcheck shell=bash
# The device simulators the QEMU tests give the guest (sourced by test-boot.sh and
# test-update.sh): `start_simulators ANJUNGAN RUN` starts the dispenser and the printer on
# pseudo-terminals (the printer keeps its slips in RUN/printed), adds their pids to the
# caller's `pids` array and sets `dispenser_pty` and `printer_pty`, which QEMU opens as the
# guest's ttyS1 and ttyS2.

# The first line of a simulator's stdout is its pty's path.
first_line() {
  local file=$1
  for _ in $(seq 100); do
    if [ -s "$file" ]; then head -n1 "$file"; return; fi
    sleep 0.1
  done
  echo "no pty path in $file" >&2
  exit 1
}

start_simulators() {
  local anjungan=$1 run=$2
  "$anjungan" dispenser-sim --pty >"$run/dispenser.out" 2>"$run/dispenser.err" &
  pids+=($!)
  "$anjungan" printer-sim --pty --png-dir "$run/printed" >"$run/printer.out" 2>"$run/printer.err" &
  pids+=($!)
  # shellcheck disable=SC2034 # the caller's
  dispenser_pty=$(first_line "$run/dispenser.out")
  # shellcheck disable=SC2034
  printer_pty=$(first_line "$run/printer.out")
}
