# fwi.awk: a stand-in for the wave solvers of a full-waveform inversion, so the example
# runs anywhere in milliseconds. The "physics" is linear: the model is 4 cells, event e is
# recorded at 4 receivers, and the data are d = G_e m with a fixed matrix G_e per event.
# The misfit is 0.5 |G_e m - d_obs|^2; its gradient (what an adjoint solve gives) is
# G_e^T (G_e m - d_obs).
#
# Every file is "key value" lines: model "cell value", data "receiver value", gradient
# "cell value", misfit "misfit value". Modes (-v mode=...):
#
#   start                                   the starting model
#   observe  -v event=E                     the "recorded" data of event E (from a hidden true model)
#   forward  -v event=E  MODEL              synthetic data of event E
#   misfit   OBSERVED SYNTHETIC [OBS SYN]…  misfit summed over all (observed, synthetic) pairs
#   adjoint  -v event=E  OBSERVED SYNTHETIC the gradient of event E's misfit
#   sum      FILE…                          key-by-key sum (gradients, misfits)
#   update   -v step=S  MODEL GRADIENT      the trial model m - S g
#   select   -v steps="S1 S2 …" -v iteration=I  MISFIT TRIAL1 TRIAL2 …
#                                           the step whose trial misfit is lowest ("none" if no
#                                           trial is below the current misfit)
#
# Events are named by anything ending in their number (ev1, event-2); numbers are printed
# with 6 decimals, so results are the same with every awk.

BEGIN {
  CELLS = 4
  RECEIVERS = 4
  split("3.0 3.4 2.6 3.2", TRUE_MODEL, " ")
  if (mode == "start") {
    for (j = 1; j <= CELLS; j++) printf "%d %.6f\n", j, 3.0
    exit
  }
  if (mode == "observe") {
    for (j = 1; j <= CELLS; j++) model[j] = TRUE_MODEL[j]
    print_data(event_number())
    exit
  }
  if (mode !~ /^(forward|misfit|adjoint|sum|update|select)$/) fail("unknown mode '" mode "'")
  if (mode == "forward" || mode == "adjoint") e = event_number()
}

# Counted before comments are skipped, so a file starting with one still counts.
FNR == 1 { file++ }
/^#/ || NF == 0 { next }
NF != 2 { fail(FILENAME ":" FNR ": expected 'key value'") }

# Keys of the first file in order, so sums and models print in the order they were read.
!($1 in seen) { seen[$1] = 1; keys[++nkeys] = $1 }

mode == "forward" { model[$1] = $2 }
# Pairs of files: odd ones observed, even ones synthetic.
mode == "misfit" || mode == "adjoint" {
  pair = int((file + 1) / 2)
  if (file % 2 == 1) observed[pair, $1] = $2
  else residual[pair, $1] = $2 - observed[pair, $1]
}
mode == "sum" { total[$1] += $2 }
mode == "update" { if (file == 1) model[$1] = $2; else gradient[$1] = $2 }
mode == "select" { misfit[file] = $2 }

END {
  if (failed || mode == "start" || mode == "observe") exit failed
  if (mode == "forward") print_data(e)
  else if (mode == "misfit") print_misfit()
  else if (mode == "adjoint") print_gradient()
  else if (mode == "sum") for (i = 1; i <= nkeys; i++) printf "%s %.6f\n", keys[i], total[keys[i]]
  else if (mode == "update") for (i = 1; i <= nkeys; i++) printf "%s %.6f\n", keys[i], model[keys[i]] - step * gradient[keys[i]]
  else if (mode == "select") print_selection()
}

# G_e[r, j]: how much cell j affects receiver r for event e (a made-up, well-conditioned matrix).
function g(e, r, j) {
  return 1 + ((e + 2 * r + 3 * j) % 4) * 0.25 + (r == j ? 0.5 : 0)
}

function print_data(e,    r, j, d) {
  for (r = 1; r <= RECEIVERS; r++) {
    d = 0
    for (j = 1; j <= CELLS; j++) d += g(e, r, j) * model[j]
    printf "%d %.6f\n", r, d
  }
}

function print_misfit(    pair, r, sum) {
  if (file < 2 || file % 2 == 1) fail("misfit needs pairs of files: observed synthetic [observed synthetic]...")
  sum = 0
  for (pair = 1; pair <= file / 2; pair++)
    for (r = 1; r <= RECEIVERS; r++) sum += residual[pair, r] * residual[pair, r]
  printf "misfit %.6f\n", 0.5 * sum
}

function print_gradient(    r, j, sum) {
  if (file != 2) fail("adjoint needs two files: observed synthetic")
  for (j = 1; j <= CELLS; j++) {
    sum = 0
    for (r = 1; r <= RECEIVERS; r++) sum += g(e, r, j) * residual[1, r]
    printf "%d %.6f\n", j, sum
  }
}

function print_selection(    n, step_of, i, best) {
  n = split(steps, step_of, " ")
  if (file != n + 1) fail("select needs the current misfit and one trial misfit per step (" n " steps)")
  best = 0
  # best = 0 stands for the current model, whose misfit is misfit[1].
  for (i = 1; i <= n; i++) if (misfit[i + 1] < misfit[best + 1]) best = i
  print "iteration " iteration
  printf "misfit %.6f\n", misfit[1]
  print "best_step " (best == 0 ? "none" : step_of[best])
  printf "new_misfit %.6f\n", misfit[best + 1]
}

function event_number(    digits) {
  digits = event
  sub(/^.*[^0-9]/, "", digits)
  if (digits == "") fail("event '" event "' does not end in a number")
  return digits + 0
}

function fail(message) {
  print "fwi.awk: " message > "/dev/stderr"
  failed = 2
  exit failed
}
