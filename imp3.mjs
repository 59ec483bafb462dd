import module from 'node:module';
module.enableCompileCache?.();
const t0 = performance.now();
const steps = [['node:crypto'], ['node:child_process'], ['node:readline'], ['node:net'], ['node:stream'], ['node:util'], ['js-yaml'], ['better-sqlite3'], ['/work/main/out/cli/main.js']];
const out = [`boot ${t0.toFixed(1)}`];
let prev = t0;
for (const [m] of steps) { await import(m); const t = performance.now(); out.push(`${m} ${(t - prev).toFixed(1)}`); prev = t; }
const D = (await import('better-sqlite3')).default; new D(':memory:'); const t = performance.now(); out.push(`addon ${(t - prev).toFixed(1)}`);
console.log(out.join(' | '));
