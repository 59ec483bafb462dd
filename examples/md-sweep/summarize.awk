# summarize.awk: averages the production output of every window into one CSV row each.
#
#   awk -f summarize.awk window-0/production.dat window-1/production.dat ... > summary.csv
#
# Rows come in the order of the files given (the workflow passes them in params.windows
# order), so the result does not depend on how the shell sorts folder names.

BEGIN { print "window,centre,mean_x,mean_energy,samples" }

# A new file starts: finish the previous one.
FNR == 1 && NR > 1 { row() }

$1 == "#" && $2 == "window" { window = $3; centre = $5; next }
/^#/ { next }
{ sum_x += $2; sum_energy += $3; n++ }

END { row() }

function row() {
  if (n == 0) {
    print "summarize.awk: no samples in " FILENAME > "/dev/stderr"
    exit 1
  }
  printf "%s,%s,%.4f,%.4f,%d\n", window, centre, sum_x / n, sum_energy / n, n
  sum_x = 0; sum_energy = 0; n = 0
}
