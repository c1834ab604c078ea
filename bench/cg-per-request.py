#!/usr/bin/env python3
"""Instructions per request, function by function, from two callgrind runs
of the same server that answered N1 and N2 requests (bench/callgrind.sh
keeps them as callgrind.out.SERVER-ROUTE-N): each function's cost in the
N2 run minus its cost in the N1 run, over N2 - N1. Start-up, connection
set-up and shutdown cancel out, which a single profile cannot do.

    bench/cg-per-request.py OUT/callgrind.out.usrv-json-2000 \\
        OUT/callgrind.out.usrv-json-12000 [--self] [--top 40] [--grep usrv::]

--self ranks by exclusive cost (default: inclusive); --grep keeps the
functions whose name contains the text.
"""

import argparse
import re
import subprocess
import sys

LINE = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:\*\s+)?(.*?)(?: \[.*\])?$")


def costs(path, inclusive):
    args = ["callgrind_annotate", "--threshold=100"]
    if inclusive:
        args.append("--inclusive=yes")
    out = subprocess.run(args + [path], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        match = LINE.match(line)
        if match and "PROGRAM TOTALS" not in line:
            name = match.group(2)
            table[name] = table.get(name, 0) + int(match.group(1).replace(",", ""))
    return table


def count(path):
    match = re.search(r"-(\d+)$", path)
    if not match:
        sys.exit(f"{path}: the name must end in -N (the number of requests)")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n1_file")
    parser.add_argument("n2_file")
    parser.add_argument("--self", dest="exclusive", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--grep", default="")
    args = parser.parse_args()
    n1, n2 = count(args.n1_file), count(args.n2_file)
    if n2 <= n1:
        sys.exit("the second file must have answered more requests")
    first = costs(args.n1_file, not args.exclusive)
    second = costs(args.n2_file, not args.exclusive)
    rows = [
        ((second.get(name, 0) - first.get(name, 0)) / (n2 - n1), name)
        for name in set(first) | set(second)
        if args.grep in name
    ]
    rows.sort(reverse=True)
    kind = "exclusive" if args.exclusive else "inclusive"
    print(f"instructions per request ({kind}), ({args.n2_file} - {args.n1_file}) / {n2 - n1}")
    for per_request, name in rows[: args.top]:
        print(f"{per_request:9.0f}  {name[:160]}")


if __name__ == "__main__":
    main()
