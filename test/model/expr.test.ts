/** The expression language of `when` and `until` (core/model/expr.ts), by its table of cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, ExprSyntaxError, ExprValueError, MAX_EXPRESSION, namesOf, parseExpr } from '../../core/model/expr.ts';
import type { NameExpr, Value } from '../../core/model/expr.ts';
import { CASES, NAMES, SYNTAX_ERRORS } from './expr-cases.ts';

function read(name: NameExpr): Value {
  const key = name.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
  const direct = NAMES[key];
  if (direct !== undefined) return direct;
  // A list element: the list, then its index.
  const last = name.path.at(-1);
  if (typeof last === 'number') {
    const list = NAMES[name.path.slice(0, -1).join('.')];
    if (Array.isArray(list)) return list[last] ?? null;
  }
  throw new Error(`the table reads no name ${key}`);
}

describe('expressions', () => {
  it('give the value the table says, or refuse with its message', () => {
    for (const [text, expected] of CASES) {
      const expr = parseExpr(text);
      if (expected instanceof Object && 'error' in expected && expected.error instanceof RegExp) {
        const pattern = expected.error;
        assert.throws(() => evaluate(expr, read), (error: unknown) => error instanceof ExprValueError && pattern.test(error.message), text);
      } else {
        assert.deepEqual(evaluate(expr, read), expected, text);
      }
    }
  });

  it('read the right side of and/or only when the left does not decide', () => {
    const reads: string[] = [];
    const tracking = (name: NameExpr): Value => {
      reads.push(name.text);
      return name.text === 'a' ? false : name.text === 'b' ? true : 'not a truth';
    };
    assert.equal(evaluate(parseExpr('a and c'), tracking), false);
    assert.equal(evaluate(parseExpr('b or c'), tracking), true);
    assert.deepEqual(reads, ['a', 'b']);
  });

  it('say where a syntax error is', () => {
    for (const [text, offset, message] of SYNTAX_ERRORS) {
      assert.throws(
        () => parseExpr(text),
        (error: unknown) => error instanceof ExprSyntaxError && error.offset === offset && message.test(error.message) && (text === '' || text.includes(error.needle)),
        `${JSON.stringify(text)}`,
      );
    }
    assert.throws(() => parseExpr('x'.repeat(MAX_EXPRESSION + 1)), /at most 4096 characters/);
  });

  it('list the names they read, as written, with their paths', () => {
    const names = namesOf(parseExpr("tasks.check.values.done and not tasks['prep/a'].skipped or params.models[0] == w"));
    assert.deepEqual(names.map((name) => [name.text, name.path]), [
      ['tasks.check.values.done', ['tasks', 'check', 'values', 'done']],
      ["tasks['prep/a'].skipped", ['tasks', 'prep/a', 'skipped']],
      ['params.models[0]', ['params', 'models', 0]],
      ['w', ['w']],
    ]);
  });

  it('stay within their language: nothing reads or runs anything but the names given', () => {
    for (const text of ['process.exit(1)', 'constructor.constructor', "__proto__['x']", 'a; b', 'f()']) {
      let ok = true;
      try {
        evaluate(parseExpr(text), (name) => {
          // Only plain names reach the reader; a call never parses.
          assert.ok(name.path.every((part) => typeof part === 'string' || typeof part === 'number'));
          return null;
        });
      } catch (error) {
        ok = error instanceof ExprSyntaxError || error instanceof ExprValueError;
      }
      assert.ok(ok, text);
    }
    assert.throws(() => parseExpr('f()'), ExprSyntaxError);
    assert.throws(() => parseExpr('a; b'), ExprSyntaxError);
  });
});
