/**
 * One table of expressions with the values they read and what they give: run against the
 * core's evaluator (expr.test.ts), and against every other evaluator of the same language
 * (the one a cluster runs to advance a loop without Flotilla must give the same answers).
 */
import type { Value } from '../../core/model/expr.ts';

export const NAMES: Record<string, Value> = {
  'params.misfit_only': false,
  'params.tolerance': 0.01,
  'params.label': 'water',
  'params.models': ['a', 'b'],
  'tasks.check.values.done': true,
  'tasks.check.values.misfit': 0.25,
  'tasks.check.values.previous': 0.5,
  'tasks.check.values.answer': 'yes',
  'tasks.check.values.count': 3,
  'tasks.check.values.nothing': null,
  'tasks.check.skipped': false,
  'repeat.index': 2,
  'repeat.previous': 1,
  w: 4,
};

/** [expression, its value] or [expression, { error: a pattern of the message }]. */
export const CASES: [string, Value | { error: RegExp }][] = [
  ['true', true],
  ['not params.misfit_only', true],
  ['tasks.check.values.done', true],
  ['tasks.check.values.done and not params.misfit_only', true],
  ['params.misfit_only or tasks.check.values.done', true],
  ['params.misfit_only and tasks.check.values.answer', false],
  ['tasks.check.values.done or tasks.check.values.answer', true],
  ['repeat.index + 1 >= 3', true],
  ['repeat.index * 2 - 1', 3],
  ['(repeat.index + 1) * 2', 6],
  ['repeat.index + 1 * 2', 4],
  ['-repeat.index', -2],
  ['10 / 4', 2.5],
  ['1 - 2 - 3', -4],
  ['12 / 2 / 3', 2],
  ['tasks.check.values.previous - tasks.check.values.misfit < params.tolerance', false],
  ['(tasks.check.values.previous - tasks.check.values.misfit) / tasks.check.values.previous < 0.6', true],
  ['1e-3 < params.tolerance', true],
  ["params.label == 'water'", true],
  ["params.label != 'Water'", true],
  ["params.label + '-' + 'box'", 'water-box'],
  ["'it''s'", "it's"],
  ["'a' < 'b'", true],
  ["'B' < 'a'", true],
  ["'é' > 'z'", true],
  ["1 == '1'", false],
  ['tasks.check.values.nothing == null', true],
  ['null == false', false],
  ["params.models == params.models", true],
  ["params.models[1] == 'b'", true],
  ['repeat.previous == repeat.index - 1', true],
  ['w == 4 and repeat.index < w', true],
  ['not not true', true],
  ['not (1 < 2) or 3 <= 3', true],
  ['2 >= 2 and 2 <= 2 and 2 > 1 and 1 < 2', true],
  ['0.1 + 0.2 == 0.3', false],
  ['tasks.check.values.answer and true', { error: /and needs true or false, not "yes"/ }],
  ['not tasks.check.values.count', { error: /not needs true or false, not 3/ }],
  ["tasks.check.values.answer < 3", { error: /'<' compares two numbers or two strings, not "yes" and 3/ }],
  ["1 + 'a'", { error: /'\+' needs numbers, not "a"/ }],
  ['1 / (repeat.index - 2)', { error: /division of 1 by zero/ }],
  ['-params.label', { error: /'-' needs numbers, not "water"/ }],
];

/** Expressions that do not parse, with where (offset) and what the message says. */
export const SYNTAX_ERRORS: [string, number, RegExp][] = [
  ['tasks.check.values.done &&', 24, /unexpected '&' \(write and, or, not\)/],
  ['params.label = 1', 13, /unexpected '=' \(equality is ==\)/],
  ['params.label == "water"', 16, /strings are written in single quotes/],
  ["'open", 0, /a string is not closed/],
  ['1 < 2 < 3', 6, /'and' or 'or' between two comparisons/],
  ['(1 + 2', 6, /the expression ends where '\)' was expected/],
  ['tasks.', 6, /a name after 'tasks\.'/],
  ['params.models[x]', 14, /a list index or a 'key'/],
  ['and', 0, /expected a value or a name, found 'and'/],
  ['1 2', 2, /expected the end, or 'and' or 'or', found '2'/],
  ['3x', 0, /'3x' is not a number or a name/],
  ['', 0, /the expression ends where a value or a name was expected/],
];
