#!/usr/bin/env python3
"""Turns build/bench/<suite>.json into build/bench/results.md and results.json.

    report.py RESULTS_DIR

Ratios are ratios of medians taken in the same interleaved run (same suite file). Each target is
printed next to its measured value with pass / miss (or n/a when a side is missing).
"""
import json, os, sys

res = sys.argv[1]


def load(name):
    p = os.path.join(res, name + '.json')
    return json.load(open(p)) if os.path.exists(p) else None


suites = {n: load(n) for n in ('startup', 'multi', 'split', 'import', 'docker', 'memory', 'list', 'gc')}


def case(suite, name):
    s = suites.get(suite)
    for r in (s or {}).get('results', []):
        if r['name'] == name or (name.endswith('(') and r['name'].startswith(name)):
            return r
    return None


def med(suite, name):
    r = case(suite, name)
    return r['summary']['median'] if r and r.get('summary') else None


def ratio(suite, a, b):
    x, y = med(suite, a), med(suite, b)
    return x / y if x and y else None


def ratio_to_sum(suite, a, floors):
    """a's median over the sum of the floors' medians (issue #2's import criterion)."""
    x, ys = med(suite, a), [med(suite, f) for f in floors]
    return x / sum(ys) if x and all(ys) else None


def ms(x):
    return '' if x is None else (f'{x * 1000:.1f}' if x < 10 else f'{x * 1000:.0f}')


out = ['# rkt (Swift) benchmarks', '']
vp = os.path.join(res, 'versions.txt')
if os.path.exists(vp):
    out += ['    ' + l.rstrip() for l in open(vp)] + ['']
out += ['Every figure is the median of N runs after warm-up, with min and max; the cases of a table ran '
        'interleaved (one run of each case per round, shuffled order), so the ratio column compares runs '
        'taken side by side. Absolute times depend on the machine\'s load; read the ratios.', '']

TITLES = {
    'startup': ('Start-up: busybox /bin/true, image in the store', 'crun run'),
    'multi': ('10-app pod vs 10 sequential crun containers', '10 x crun run, sequential'),
    'split': ('prepare + run-prepared vs run', 'rkt run (stage1, --net=host)'),
    'import': ('Import + render of a ~200 MB ACI', 'tar -xzf'),
    'docker': ('docker:// fetch of a 5-layer image from a local registry', 'skopeo copy docker:// dir:'),
    'list': ('rkt list with 100 pods', None),
    'gc': ('rkt gc of 100 exited pods (each round creates the pods, untimed)', None),
}
for key, (title, ref) in TITLES.items():
    s = suites.get(key)
    out += [f'## {title}', '']
    if s is None:
        out += ['(not run)', '']
        continue
    if s.get('unavailable'):
        out += [f'not available: {s["unavailable"]}', '']
        continue
    out += [f'{s["runs"]} runs + {s["warmup"]} warm-up each, interleaved; load average at the end {" ".join(s.get("loadavg", []))}.', '']
    out += [f'| case | median ms | min ms | max ms | runs | × {ref or "-"} |', '|---|---:|---:|---:|---:|---:|']
    refm = med(key, ref) if ref else None
    for r in s['results']:
        sm = r.get('summary')
        if not sm:
            out.append(f'| {r["name"]} | failed: {(r.get("error") or "")[:160].replace("|", "/")} | | | | |')
            continue
        rt = f'{sm["median"] / refm:.2f}' if refm else ''
        out.append(f'| {r["name"]} | {ms(sm["median"])} | {ms(sm["min"])} | {ms(sm["max"])} | {sm["n"]} | {rt} |')
        for st in r.get('steps') or []:
            if st['summary']:
                out.append(f'| &nbsp;&nbsp;↳ {st["name"].split("/")[-1][:60]} | {ms(st["summary"]["median"])} | '
                           f'{ms(st["summary"]["min"])} | {ms(st["summary"]["max"])} | {st["summary"]["n"]} | |')
    out.append('')
    for r in s['results']:
        if r.get('phases'):
            out += [f'Phases of `{r["name"]}` (`--debug` timings on stderr, summed per phase name):', '', '| phase | median ms | min ms | max ms |', '|---|---:|---:|---:|']
            for k, v in r['phases'].items():
                out.append(f'| {k} | {ms(v["median"])} | {ms(v["min"])} | {ms(v["max"])} |')
            out.append('')
    errs = [r for r in s['results'] if r.get('error')]
    if errs:
        out += ['Errors:', ''] + [f'- {r["name"]}: `{r["error"][:400]}`' for r in errs] + ['']

mem = suites.get('memory')
out += ['## Memory', '']
idle_over = idle_private = None
stage0_peak = None
if mem:
    out += ['Peak RSS (`/usr/bin/time -v`, max of 3 runs; the largest single process of the tree, stage0 '
            'and whatever it execs):', '', '| command | peak RSS MiB |', '|---|---:|']
    for p in mem['peaks']:
        out.append(f'| {p["name"]} | {p["max_rss_kb"] / 1024:.1f} |')
        if p['name'] == 'rkt run (stage1, --net=host)':
            stage0_peak = p['max_rss_kb'] / 1024
    out += ['', 'Idle pod running `/bin/sleep` (sum over the pod\'s processes, i.e. the `rkt run` process '
            'tree, minus the app). RSS counts the clean file pages of the stage1 binary and libc that every '
            'pod shares; private is what the pod\'s own processes alone hold (Private_Clean + Private_Dirty):',
            '', '| stage1 | samples | overhead RSS MiB | overhead PSS MiB | overhead private MiB | processes | tree (comm:RSS kB) |',
            '|---|---:|---:|---:|---:|---:|---|']
    for flavor, xs in mem['idle'].items():
        ok = [x for x in xs if 'rss_kb' in x]
        if not ok:
            out.append(f'| {flavor} | 0 | failed: {xs[0].get("error", "")[:120]} | | | | |')
            continue
        over = sorted((x['rss_kb'] - x['app_rss_kb']) / 1024 for x in ok)
        overp = sorted((x['pss_kb'] - x['app_pss_kb']) / 1024 for x in ok)
        overu = sorted((x.get('uss_kb', 0) - x.get('app_uss_kb', 0)) / 1024 for x in ok)
        m, mp, mu = over[len(over) // 2], overp[len(overp) // 2], overu[len(overu) // 2]
        if flavor == 'stage1':
            idle_over, idle_private = m, mu
        out.append(f'| {flavor} | {len(ok)} | {m:.2f} (min {over[0]:.2f}, max {over[-1]:.2f}) | {mp:.2f} | {mu:.2f} | {ok[0]["procs"]} | {ok[0]["tree"]} |')
    out.append('')
else:
    out += ['(not run)', '']

targets = [
    ('fly `rkt run` / `crun run`', ratio('startup', 'rkt run (fly)', 'crun run'), 0.5, '×'),
    ('stage1 `--net=host` / `crun run`', ratio('startup', 'rkt run (stage1, --net=host)', 'crun run'), 1.0, '×'),
    ('stage1 `--net=host` / `systemd-nspawn`', ratio('startup', 'rkt run (stage1, --net=host)', 'systemd-nspawn'), 0.2, '×'),
    ('stage1 `--net=default` / `crun run`', ratio('startup', 'rkt run (stage1, --net=default)', 'crun run'), 3.0, '×'),
    ('import + render (gzip) / `tar -xzf`', ratio('import', 'rkt fetch + image render (gzip)', 'tar -xzf'), 1.1, '×'),
    ('import + render (gzip) / (`gzip -dc | sha512sum` + `tar -xzf`)',
     ratio_to_sum('import', 'rkt fetch + image render (gzip)', ['gzip -dc | sha512sum', 'tar -xzf']), 1.3, '×'),
    ('import + render (uncompressed) / (`sha512sum` + `tar -xf`)',
     ratio_to_sum('import', 'rkt fetch + image render (uncompressed)', ['sha512sum (uncompressed)', 'tar -xf']), 1.3, '×'),
    ('idle pod (stage1) beyond its app, RSS', idle_over, 2.0, 'MiB'),
    ('idle pod (stage1) beyond its app, private memory (for reference; the target is RSS)', idle_private, 2.0, 'MiB'),
    ('stage0 peak RSS (`rkt run`, tree max)', stage0_peak, 20.0, 'MiB'),
    ('`rkt gc` of 100 exited pods', med('gc', 'rkt gc --grace-period=0s ('), 2.0, 's'),
    ('`rkt list` with 100 pods', (med('list', 'rkt list (') or 0) * 1000 or None, 100.0, 'ms'),
]
out += ['## Targets', '', '| measure | value | target | result |', '|---|---:|---:|---|']
tj = []
for name, v, lim, unit in targets:
    verdict = 'n/a' if v is None else ('pass' if v <= lim else 'miss')
    vs = '' if v is None else (f'{v:.2f}{unit}' if unit == '×' else f'{v:.2f} {unit}')
    out.append(f'| {name} | {vs} | ≤ {lim:g}{unit if unit == "×" else " " + unit} | {verdict} |')
    tj.append({'measure': name, 'value': v, 'target': lim, 'unit': unit, 'result': verdict})
out.append('')
open(os.path.join(res, 'results.md'), 'w').write('\n'.join(out))
json.dump({'targets': tj, 'suites': suites}, open(os.path.join(res, 'results.json'), 'w'), indent=1)
print('\n'.join(out))
