"""Printing the benchmark's results, and the ratios it is judged by."""

from __future__ import annotations

TARGET_VS_HAND = 1.15
"""lakehouse / by hand (median seconds) at TARGET_SIZE rows must not exceed this."""
TARGET_SCALING = 1.3
"""lakehouse at TARGET_SIZE rows / at SCALING_FROM rows (median seconds) must not exceed this."""
TARGET_SIZE, SCALING_FROM = 20_000_000, 2_000_000


def rows_text(n: int) -> str:
    """200000 -> 200K, 20000000 -> 20M."""
    for unit, size in (("M", 1_000_000), ("K", 1_000)):
        if n >= size and n % (size // 10) == 0:
            value = n / size
            return f"{value:g}{unit}"
    return f"{n:,}"


def _mb(value) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}"


def _n(value) -> str:
    return "-" if value is None else str(value)


def print_size(result: dict) -> None:
    """The side-by-side table of one size, its checks, notes and errors."""
    checks, expected = result["checks"], result["checks"]["expected"]
    runs = max((len(c.get("seconds", [])) for c in result["contenders"].values()), default=0)
    print(f"\n{rows_text(result['rows'])} rows ({result['rows']:,}) · {result['increment']['rows']:,}-row increment"
          f" · seconds over {runs} run{'s' if runs != 1 else ''} after a warm-up")
    head = (f"{'contender':<14}{'min s':>7}{'median s':>10}{'jobs':>6}{'read MB':>9}{'files -/+':>11}"
            f"{'MB -/+':>13}{'dv':>4}{'ins':>7}{'upd':>7}{'del':>7}{'rows after':>12}  table")
    print(head)
    print("-" * len(head))
    for name, r in result["contenders"].items():
        if r.get("median_s") is None:
            print(f"{name:<14}  FAILED: {r['error'] or 'no timed run'}")
            continue
        counts = checks["counts"].get(name, {})
        vs = checks["vs_reference"].get(name)
        verdict = ("reference" if name == checks["reference"] else
                   "equal" if vs and vs["equal"] else
                   f"differs (-{vs['only_in_reference']}/+{vs['only_in_contender']} rows)" if vs else "?")
        if not r["same_rules"] and vs and not vs["equal"]:
            verdict += ", by design"
        print(f"{name:<14}{r['min_s']:>7.2f}{r['median_s']:>10.2f}{_n(r['spark_jobs']):>6}{_mb(r['input_bytes']):>9}"
              f"{str(r['files_removed']) + '/' + str(r['files_added']):>11}"
              f"{_mb(r['bytes_removed']) + '/' + _mb(r['bytes_added']):>13}{r['dv_files']:>4}"
              f"{_n(r['inserted']):>7}{_n(r['updated']):>7}{_n(r['deleted']):>7}"
              f"{_n(counts.get('rows_after')):>12}  {verdict}")
    print(f"{'expected':<14}{'':>7}{'':>10}{'':>6}{'':>9}{'':>11}{'':>13}{'':>4}{expected['inserted']:>7}"
          f"{expected['updated']:>7}{expected['deleted']:>7}{expected['rows_after']:>12}")
    for name, r in result["contenders"].items():
        if r.get("note"):
            print(f"note: {name}: {r['note']}")
        counts = checks["counts"].get(name)
        if counts and r["same_rules"] and not counts["commit_matches_expected"]:
            print(f"CHECK: {name}: the commit's row counts differ from the expected ones")
        if counts and r["same_rules"] and not counts["statuses_match_expected"]:
            print(f"CHECK: {name}: rows per status {counts['statuses']}, expected {expected['statuses']}")
        reported = r.get("lakehouse_reported")
        if reported and any(reported[k] != r[k] for k in ("inserted", "updated", "deleted")):
            print(f"CHECK: {name}: run_job reported {reported['inserted']}/{reported['updated']}/"
                  f"{reported['deleted']} ins/upd/del, the commit {r['inserted']}/{r['updated']}/{r['deleted']}")
    same = [n for n, v in checks["vs_reference"].items() if v["same_rules"]]
    if checks["reference"]:
        print(f"same-rules tables ({', '.join([checks['reference'], *same])}): "
              f"{'all equal' if checks['same_rules_equal'] else 'NOT EQUAL'}")


def ratios(sizes: dict) -> dict:
    """lakehouse / by hand per size (also with deletion vectors), and lakehouse's growth with size."""
    def median(n: str, name: str):
        return sizes[n]["contenders"].get(name, {}).get("median_s")

    out: dict = {"lakehouse_over_by_hand": {}, "lakehouse_dv_over_by_hand_dv": {}}
    for n in sizes:
        for key, (a, b) in {"lakehouse_over_by_hand": ("lakehouse", "by_hand"),
                            "lakehouse_dv_over_by_hand_dv": ("lakehouse_dv", "by_hand_dv")}.items():
            if median(n, a) and median(n, b):
                out[key][n] = median(n, a) / median(n, b)
    timed = sorted((int(n) for n in sizes if median(n, "lakehouse")))
    if len(timed) > 1:
        small, large = str(timed[0]), str(timed[-1])
        out["lakehouse_scaling"] = {"from": int(small), "to": int(large),
                                    "ratio": median(large, "lakehouse") / median(small, "lakehouse")}
    vs_hand = out["lakehouse_over_by_hand"].get(str(TARGET_SIZE))
    scaling = out.get("lakehouse_scaling")
    on_target_sizes = scaling and (scaling["from"], scaling["to"]) == (SCALING_FROM, TARGET_SIZE)
    out["targets"] = {
        f"lakehouse / by hand at {rows_text(TARGET_SIZE)} <= {TARGET_VS_HAND}":
            None if vs_hand is None else vs_hand <= TARGET_VS_HAND,
        f"lakehouse {rows_text(TARGET_SIZE)} / {rows_text(SCALING_FROM)} <= {TARGET_SCALING}":
            scaling["ratio"] <= TARGET_SCALING if on_target_sizes else None,
    }
    return out


def print_overview(results: dict) -> None:
    """Median seconds of every contender side by side over the sizes, then the ratios and targets."""
    sizes = results["sizes"]
    names = list(dict.fromkeys(name for s in sizes.values() for name in s["contenders"]))
    print("\nmedian seconds (min)")
    print(f"{'contender':<14}" + "".join(f"{rows_text(int(n)):>18}" for n in sizes))
    for name in names:
        cells = []
        for s in sizes.values():
            r = s["contenders"].get(name, {})
            cells.append("failed" if r.get("error") else "-" if r.get("median_s") is None
                         else f"{r['median_s']:.2f} ({r['min_s']:.2f})")
        print(f"{name:<14}" + "".join(f"{c:>18}" for c in cells))
    r = results["ratios"]
    for n, value in r["lakehouse_over_by_hand"].items():
        print(f"lakehouse / by hand at {rows_text(int(n))}: {value:.2f}")
    for n, value in r["lakehouse_dv_over_by_hand_dv"].items():
        print(f"lakehouse / by hand with deletion vectors at {rows_text(int(n))}: {value:.2f}")
    if "lakehouse_scaling" in r:
        s = r["lakehouse_scaling"]
        print(f"lakehouse {rows_text(s['to'])} / {rows_text(s['from'])}: {s['ratio']:.2f}")
    for target, met in r["targets"].items():
        print(f"target {target}: {'met' if met else 'NOT met' if met is not None else 'not measured (size not run)'}")
