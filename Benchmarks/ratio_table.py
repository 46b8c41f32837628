"""The table of an interleaved ours-against-nginx benchmark (Benchmarks/tls.sh, Benchmarks/h2.sh):
medians and spreads (min-max of the rounds) per scenario and server, and the ratio of the medians.

    python3 ratio_table.py RAW CODE=TITLE=UNIT...

RAW holds one tab-separated row per run: round, scenario code, server (ours|nginx), CPU per unit,
rate. Scenarios are printed in the order given.
"""

import statistics
import sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
scenarios = [argument.split("=", 2) for argument in sys.argv[2:]]
width = max(len(title) for _, title, _ in scenarios) + 2
print(f"{'scenario':<{width}} {'unit':<11} {'swift-wsgi':>18} {'nginx':>18} {'ratio':>6} {'rate ours/nginx':>22}")
for code, title, unit in scenarios:
    if not any(row[1] == code for row in rows):
        continue

    def figures(server, column):
        return [float(row[column]) for row in rows if row[1] == code and row[2] == server]

    ours, theirs = figures("ours", 3), figures("nginx", 3)
    rate_ours, rate_theirs = figures("ours", 4), figures("nginx", 4)
    cell = lambda values: f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
    ratio = statistics.median(ours) / statistics.median(theirs)
    rates = f"{statistics.median(rate_ours):.0f} / {statistics.median(rate_theirs):.0f}"
    print(f"{title:<{width}} {unit:<11} {cell(ours):>18} {cell(theirs):>18} {ratio:>5.2f}x {rates:>22}")
