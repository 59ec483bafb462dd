# md.awk: a stand-in for an MD engine (think grompp + mdrun), so the example runs anywhere
# in a fraction of a second. The "system" is one particle on a line in a double well,
# U(x) = (x^2 - 1)^2; umbrella window w adds a harmonic restraint 0.5 k (x - c)^2 around
# the centre c = first_centre + w * spacing.
#
#   awk -f md.awk -v stage=setup                                     > system.txt
#   awk -f md.awk -v stage=equilibrate -v window=W system.txt        > equilibrated.txt
#   awk -f md.awk -v stage=production -v steps=N equilibrated.txt    > production.dat
#
# Samples come from a Park–Miller generator (state * 16807 mod 2^31 - 1, exact in doubles)
# seeded by the window, not from awk's rand(), whose sequence differs between awks: the
# output must be the same everywhere.

BEGIN {
  if (stage == "setup") {
    print "# fake system: one particle in a double well, written by md.awk"
    print "potential double-well"
    print "k 50"
    print "first_centre -1.0"
    print "spacing 0.5"
    exit
  }
  if (stage != "equilibrate" && stage != "production") {
    print "md.awk: unknown stage '" stage "' (setup, equilibrate, production)" > "/dev/stderr"
    failed = 1
    exit 2
  }
}

# Both later stages read "key value" lines (system.txt, equilibrated.txt); '#' starts a comment.
/^#/ || NF < 2 { next }
{ value[$1] = $2 }

END {
  if (failed || stage == "setup") exit
  if (!("k" in value)) {
    print "md.awk: input has no force constant 'k'" > "/dev/stderr"
    exit 1
  }
  if (stage == "equilibrate") equilibrate()
  else production()
}

function equilibrate(    centre) {
  if (window == "") {
    print "md.awk: equilibrate needs -v window=W" > "/dev/stderr"
    exit 2
  }
  centre = value["first_centre"] + window * value["spacing"]
  print "# equilibrated window " window ", written by md.awk"
  print "window " window
  print "k " value["k"]
  print "centre " centre
  # Equilibration "moves" the particle to the restraint centre.
  print "x " centre
}

function production(    i, state, x, c, k, well, energy) {
  if (steps < 1) {
    print "md.awk: production needs -v steps=N (N >= 1)" > "/dev/stderr"
    exit 2
  }
  c = value["centre"]
  k = value["k"]
  # Seeded by the window (never 0, which the generator would keep at 0).
  state = 1000 + 7919 * value["window"]
  printf "# window %s centre %.3f\n", value["window"], c
  print "# step x energy"
  for (i = 1; i <= steps; i++) {
    state = (state * 16807) % 2147483647
    # A sample within ±0.2 of the centre.
    x = c + 0.4 * (state / 2147483647 - 0.5)
    # Products rather than ^, which some awks compute with pow(): same digits everywhere.
    well = x * x - 1
    energy = well * well + 0.5 * k * (x - c) * (x - c)
    printf "%d %.6f %.6f\n", i, x, energy
  }
}
