#!/usr/bin/env python3
"""Interleaved benchmark runner for bench/run.sh.

hyperfine runs every run of one command before the next command, so a load change on a shared
machine lands on one side of a comparison. This runner does rounds instead: in every round each
case runs once, in a shuffled order (seeded), so every ratio compares runs taken side by side.

    harness.py SPEC.json OUT.json

SPEC: {"suite": str, "runs": int, "warmup": int, "seed": int, "timeout": seconds,
       "cases": [{"name": str,
                  "steps": [[argv...], ...],      # timed, one after the other; time = their sum
                  "step_names": [str, ...],       # optional, per-step labels
                  "prepare": [argv...],           # optional, untimed, before the steps
                  "after": [argv...],             # optional, untimed, after the steps
                  "phases": true}]}               # parse `<cmd>: timing: <phase> <ms>ms` on stderr
In argv, {PREP} is the prepare step's stdout (stripped), {OUT0}, {OUT1}… a previous step's stdout,
{RUN} the run index. Each step runs via posix_spawn (no shell) with stdout and stderr in files;
its wall time is taken around spawn + wait4. (No RSS here: posix_spawn's vfork child starts in
this Python process's mm, so wait4's ru_maxrss would count Python; run.sh uses /usr/bin/time -v.)
A case that fails (non-zero exit, timeout) is dropped from the following rounds; its error is kept.
"""
import json, os, random, re, signal, statistics, subprocess, sys, tempfile, threading, time

PHASE = re.compile(r'^(\S+): timing: (.+?) ([0-9.]+)ms\s*$')


def spawn_timed(argv, out_path, err_path, timeout):
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    nul = os.open('/dev/null', os.O_RDONLY | os.O_CLOEXEC)
    acts = [(os.POSIX_SPAWN_DUP2, nul, 0), (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
    timed_out = []
    t0 = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=acts)
    timer = threading.Timer(timeout, lambda: (timed_out.append(1), os.kill(pid, signal.SIGKILL)))
    timer.start()
    _, status = os.waitpid(pid, 0)
    t1 = time.monotonic_ns()
    timer.cancel()
    for fd in (out, err, nul):
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return (t1 - t0) / 1e9, code, bool(timed_out)


def read(path, limit=None):
    with open(path, 'rb') as f:
        data = f.read()
    s = data.decode('utf-8', 'replace')
    return s if limit is None else s[-limit:]


def subst(argv, env):
    out = []
    for a in argv:
        for k, v in env.items():
            a = a.replace('{' + k + '}', v)
        out.append(a)
    return out


def summary(xs):
    if not xs:
        return None
    return {'median': statistics.median(xs), 'min': min(xs), 'max': max(xs),
            'mean': statistics.fmean(xs), 'stddev': statistics.stdev(xs) if len(xs) > 1 else 0.0, 'n': len(xs)}


def main():
    spec = json.load(open(sys.argv[1]))
    out_path = sys.argv[2]
    runs, warmup = int(spec.get('runs', 20)), int(spec.get('warmup', 3))
    timeout = float(spec.get('timeout', 300))
    rnd = random.Random(spec.get('seed', 1))
    tmp = tempfile.mkdtemp(prefix='rkt-bench-harness.')
    cases = spec['cases']
    state = [{'name': c['name'], 'times': [], 'steps': [[] for _ in c['steps']], 'phases': {},
              'error': None,
              'commands': [' '.join(s) for s in c['steps']]} for c in cases]
    log = lambda m: print(f"[harness {spec.get('suite', '')}] {m}", file=sys.stderr, flush=True)
    total = warmup + runs
    for rnd_i in range(total):
        order = list(range(len(cases)))
        rnd.shuffle(order)
        for ci in order:
            c, st = cases[ci], state[ci]
            if st['error']:
                continue
            env = {'RUN': str(rnd_i)}
            o, e = os.path.join(tmp, 'out'), os.path.join(tmp, 'err')
            if c.get('prepare'):
                p = subprocess.run(c['prepare'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
                if p.returncode != 0:
                    st['error'] = f"prepare failed ({p.returncode}): {p.stderr.decode(errors='replace')[-400:]}"
                    log(f"{c['name']}: {st['error']}")
                    continue
                env['PREP'] = p.stdout.decode().strip().splitlines()[-1] if p.stdout.strip() else ''
            tot, per, phases = 0.0, [], {}
            for si, argv in enumerate(c['steps']):
                t, code, to = spawn_timed(subst(argv, env), o, e, timeout)
                if code != 0 or to:
                    st['error'] = (f"step {si} {'timed out' if to else f'exit {code}'}: "
                                   f"{' '.join(subst(argv, env))}: {read(e, 600).strip()}")
                    log(f"{c['name']}: {st['error']}")
                    break
                env[f'OUT{si}'] = read(o).strip().splitlines()[-1] if read(o).strip() else ''
                tot += t
                per.append(t)
                if c.get('phases'):
                    for line in read(e).splitlines():
                        m = PHASE.match(line)
                        if m:
                            key = f"{m.group(1)}: {m.group(2)}"
                            phases[key] = phases.get(key, 0.0) + float(m.group(3)) / 1000
            if st['error']:
                continue
            if c.get('after'):
                subprocess.run(c['after'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
            if rnd_i < warmup:
                continue
            st['times'].append(tot)
            for si, t in enumerate(per):
                st['steps'][si].append(t)
            for k, v in phases.items():
                st['phases'].setdefault(k, []).append(v)
            if phases:
                st['phases'].setdefault('(rest of the wall time: exec + start-up before the timer, stage1, app, exit)', []).append(tot - sum(phases.values()))
        if rnd_i + 1 in (warmup, total) or (rnd_i + 1 - warmup) % 5 == 0:
            log(f"round {rnd_i + 1}/{total} done")
    results = []
    for c, st in zip(cases, state):
        r = {'name': c['name'], 'commands': st['commands'], 'error': st['error'],
             'times': st['times'], 'summary': summary(st['times']),
             'steps': [{'name': (c.get('step_names') or [None] * len(c['steps']))[i] or st['commands'][i],
                        'summary': summary(xs)} for i, xs in enumerate(st['steps'])] if len(c['steps']) > 1 else [],
             'phases': {k: summary(v) for k, v in st['phases'].items()}}
        if r['error'] and len(st['times']) < runs:
            r['summary'] = None
        results.append(r)
    json.dump({'suite': spec.get('suite'), 'runs': runs, 'warmup': warmup, 'interleaved': True,
               'loadavg': open('/proc/loadavg').read().split()[:3], 'results': results},
              open(out_path, 'w'), indent=1)
    subprocess.run(['rm', '-rf', tmp])


if __name__ == '__main__':
    main()
