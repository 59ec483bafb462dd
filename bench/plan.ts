/**
 * Measures parse + validate + plan of one workflow file in a fresh process, printing JSON:
 * { tasks, edges, ms, maxRssMb }. Used by bench/run.ts for the 100,000-task figure.
 */
import { loadWorkflow } from '../core/model/load.ts';
import { buildGraph, remainingPathLengths, topologicalOrder } from '../core/model/graph.ts';

const file = process.argv[2]!;
const started = process.hrtime.bigint();
const plan = loadWorkflow(file);
const graph = buildGraph(plan.tasks.map((task) => task.id), plan.tasks.map((task) => task.after));
const sorted = topologicalOrder(graph);
if (!('order' in sorted)) throw new Error('unexpected cycle');
remainingPathLengths(graph, sorted.order);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const edges = plan.tasks.reduce((sum, task) => sum + task.after.length, 0);
console.log(JSON.stringify({ tasks: plan.tasks.length, edges, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
