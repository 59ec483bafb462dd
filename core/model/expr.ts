/**
 * The expressions of `when` and `until`: a small language that reads values and decides, and
 * can do nothing else (no calls, no assignment, no access to the machine). Parsed once when the
 * workflow loads (a syntax error is a problem at its file:line:col), evaluated when the values
 * it reads are recorded.
 *
 *   expression  = or
 *   or          = and { "or" and }
 *   and         = not { "and" not }
 *   not         = "not" not | comparison
 *   comparison  = sum [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) sum ]
 *   sum         = product { ( "+" | "-" ) product }
 *   product     = unary { ( "*" | "/" ) unary }
 *   unary       = "-" unary | primary
 *   primary     = number | 'string' | true | false | null | name | "(" expression ")"
 *   name        = word { "." word | "[" ( integer | 'string' ) "]" }
 *   word        = a letter or _, then letters, digits and _ (no '-': `n-1` subtracts; a name
 *                 with '-' or '/' is written in brackets, tasks['my-task'])
 *
 * Values are JSON's. The rules are strict, so that a decision never rests on a guess (and so
 * that the evaluator the cluster runs, without Node, can give the same answers):
 * - `and`, `or` and `not` take true or false only (`yes` or 1 is an error, not a truth);
 *   `and` and `or` read their right side only when the left does not decide.
 * - `==` and `!=` compare any values, with no conversion (`1 == '1'` is false; lists and
 *   mappings are equal when their JSON is).
 * - `<`, `<=`, `>`, `>=` compare two numbers, or two strings (by code point).
 * - `+` adds two numbers or joins two strings; `-`, `*`, `/` take numbers; `/` by zero, or a
 *   result too large for a number, is an error.
 * A string is written in single quotes; a quote inside it is doubled (`'it''s'`).
 */

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'and' | 'or';

/** A parsed expression. `at` is the offset in the text where each part starts. */
export type Expr =
  | { kind: 'literal'; value: Value; at: number }
  | { kind: 'name'; path: (string | number)[]; text: string; at: number }
  | { kind: 'not'; operand: Expr; at: number }
  | { kind: 'negate'; operand: Expr; at: number }
  | { kind: 'binary'; op: Operator; left: Expr; right: Expr; at: number };

/** A name an expression reads, as written (`text`) and as a path (`['tasks', 'check', 'values', 'done']`). */
export type NameExpr = Extract<Expr, { kind: 'name' }>;

/** An expression that cannot be read: what is wrong, and where (an offset in its text). */
export class ExprSyntaxError extends Error {
  readonly offset: number;
  /** The piece of text to point at. */
  readonly needle: string;

  constructor(message: string, offset: number, needle: string) {
    super(message);
    this.offset = offset;
    this.needle = needle;
  }
}

/** An expression that cannot be evaluated with the values it read: what is wrong, naming the part. */
export class ExprValueError extends Error {}

/** Longest expression read (a workflow's conditions are a line, not a program). */
export const MAX_EXPRESSION = 4096;
/** Deepest nesting of parentheses, `not` and `-` read (the parser recurses once per level). */
export const MAX_NESTING = 64;

type Token =
  | { type: 'number'; value: number; at: number; text: string }
  | { type: 'string'; value: string; at: number; text: string }
  | { type: 'word'; value: string; at: number; text: string }
  | { type: 'symbol'; value: string; at: number; text: string }
  | { type: 'end'; value: ''; at: number; text: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null']);
const SYMBOLS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '(', ')', '.', '[', ']'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const number = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (number) {
      const follows = text[i + number[0].length];
      if (follows !== undefined && /[\p{L}_]/u.test(follows)) throw new ExprSyntaxError(`'${text.slice(i, i + number[0].length + 1)}' is not a number or a name`, at, number[0]);
      if (!Number.isFinite(Number(number[0]))) throw new ExprSyntaxError(`${number[0]} is too large a number`, at, number[0]);
      tokens.push({ type: 'number', value: Number(number[0]), at, text: number[0] });
      i += number[0].length;
      continue;
    }
    if (/[\p{L}_]/u.test(c)) {
      // No '-' in a word: `n-1` is a subtraction (a name with '-' is written tasks['my-task']).
      const word = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(text.slice(i))![0];
      tokens.push({ type: 'word', value: word, at, text: word });
      i += word.length;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ExprSyntaxError('a string is not closed (a quote inside one is written twice: it\'\'s)', at, text.slice(at, at + 20));
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      tokens.push({ type: 'string', value, at, text: text.slice(at, j + 1) });
      i = j + 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!symbol) {
      const hint = c === '"' ? " (strings are written in single quotes: 'text')" : c === '=' ? ' (equality is ==)' : c === '&' || c === '|' || c === '!' ? ' (write and, or, not)' : '';
      throw new ExprSyntaxError(`unexpected '${c}'${hint}`, at, c);
    }
    tokens.push({ type: 'symbol', value: symbol, at, text: symbol });
    i += symbol.length;
  }
  tokens.push({ type: 'end', value: '', at: text.length, text: '' });
  return tokens;
}

/** Parses an expression; throws `ExprSyntaxError` saying what is wrong and where. */
export function parseExpr(text: string): Expr {
  if (text.length > MAX_EXPRESSION) throw new ExprSyntaxError(`an expression is at most ${MAX_EXPRESSION} characters`, 0, text.slice(0, 20));
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token => tokens[position]!;
  const next = (): Token => tokens[position++]!;
  const isSymbol = (value: string): boolean => peek().type === 'symbol' && peek().value === value;
  const isWord = (value: string): boolean => peek().type === 'word' && peek().value === value;
  const fail = (what: string): never => {
    const token = peek();
    throw new ExprSyntaxError(token.type === 'end' ? `the expression ends where ${what} was expected` : `expected ${what}, found '${token.text}'`, token.at, token.text || text.slice(-10));
  };
  const expect = (value: string, what: string): void => {
    if (!isSymbol(value)) fail(what);
    position++;
  };

  let depth = 0;
  const nested = <T>(at: number, fn: () => T): T => {
    if (++depth > MAX_NESTING) throw new ExprSyntaxError(`an expression nests at most ${MAX_NESTING} levels deep`, at, text.slice(at, at + 10));
    try {
      return fn();
    } finally {
      depth--;
    }
  };
  const binary = (operators: readonly string[], operand: () => Expr, words = false): Expr => {
    let left = operand();
    while (words ? operators.some(isWord) : operators.some(isSymbol)) {
      const op = next().value as Operator;
      left = { kind: 'binary', op, left, right: operand(), at: left.at };
    }
    return left;
  };
  const expression = (): Expr => binary(['or'], () => binary(['and'], not, true), true);
  function not(): Expr {
    if (isWord('not')) {
      const at = next().at;
      return { kind: 'not', operand: nested(at, not), at };
    }
    return comparison();
  }
  function comparison(): Expr {
    const left = sum();
    if (!['==', '!=', '<', '<=', '>', '>='].some(isSymbol)) return left;
    const op = next().value as Operator;
    const right = sum();
    if (['==', '!=', '<', '<=', '>', '>='].some(isSymbol)) fail("'and' or 'or' between two comparisons");
    return { kind: 'binary', op, left, right, at: left.at };
  }
  const sum = (): Expr => binary(['+', '-'], product);
  const product = (): Expr => binary(['*', '/'], unary);
  function unary(): Expr {
    if (isSymbol('-')) {
      const at = next().at;
      return { kind: 'negate', operand: nested(at, unary), at };
    }
    return primary();
  }
  function primary(): Expr {
    const token = peek();
    if (token.type === 'number' || token.type === 'string') {
      position++;
      return { kind: 'literal', value: token.value, at: token.at };
    }
    if (isSymbol('(')) {
      const at = next().at;
      const inner = nested(at, expression);
      expect(')', "')'");
      return inner;
    }
    if (token.type !== 'word') return fail('a value or a name');
    if (token.value === 'true' || token.value === 'false' || token.value === 'null') {
      position++;
      return { kind: 'literal', value: token.value === 'null' ? null : token.value === 'true', at: token.at };
    }
    if (KEYWORDS.has(token.value)) return fail('a value or a name');
    position++;
    const path: (string | number)[] = [token.value];
    let end = token.at + token.text.length;
    for (;;) {
      if (isSymbol('.')) {
        position++;
        const part = peek();
        if (part.type !== 'word') return fail(`a name after '${text.slice(token.at, end)}.'`);
        position++;
        path.push(part.value);
        end = part.at + part.text.length;
      } else if (isSymbol('[')) {
        position++;
        const key = peek();
        if (key.type === 'number' && Number.isInteger(key.value) && key.value >= 0) path.push(key.value);
        else if (key.type === 'string') path.push(key.value);
        else return fail("a list index or a 'key'");
        position++;
        expect(']', "']'");
        end = tokens[position - 1]!.at + 1;
      } else break;
    }
    return { kind: 'name', path, text: text.slice(token.at, end), at: token.at };
  }

  const parsed = expression();
  if (peek().type !== 'end') fail("the end, or 'and' or 'or'");
  return parsed;
}

/** The names an expression reads, in order (each once per place it is written). */
export function namesOf(expr: Expr): NameExpr[] {
  switch (expr.kind) {
    case 'literal':
      return [];
    case 'name':
      return [expr];
    case 'not':
    case 'negate':
      return namesOf(expr.operand);
    case 'binary':
      return [...namesOf(expr.left), ...namesOf(expr.right)];
  }
}

/**
 * Evaluates an expression; `read` gives the value of each name it reaches (an unknown name was
 * refused when the workflow loaded). Throws `ExprValueError` for values the rules refuse.
 */
export function evaluate(expr: Expr, read: (name: NameExpr) => Value): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'name':
      return read(expr);
    case 'not':
      return !truth(evaluate(expr.operand, read), 'not');
    case 'negate':
      return -number(evaluate(expr.operand, read), "'-'");
    case 'binary': {
      const { op } = expr;
      const left = evaluate(expr.left, read);
      if (op === 'and') return truth(left, 'and') ? truth(evaluate(expr.right, read), 'and') : false;
      if (op === 'or') return truth(left, 'or') ? true : truth(evaluate(expr.right, read), 'or');
      const right = evaluate(expr.right, read);
      switch (op) {
        case '==':
          return equal(left, right);
        case '!=':
          return !equal(left, right);
        case '<':
        case '<=':
        case '>':
        case '>=':
          return compare(op, left, right);
        case '+':
          if (typeof left === 'string' && typeof right === 'string') return left + right;
          return finite(number(left, "'+'") + number(right, "'+'"), op);
        case '-':
          return finite(number(left, "'-'") - number(right, "'-'"), op);
        case '*':
          return finite(number(left, "'*'") * number(right, "'*'"), op);
        case '/': {
          const divisor = number(right, "'/'");
          const dividend = number(left, "'/'");
          if (divisor === 0) throw new ExprValueError(`division of ${show(dividend)} by zero`);
          return finite(dividend / divisor, op);
        }
      }
    }
  }
}

/** Whether a decision's value holds; anything but true or false is an error naming it. */
export function decide(value: Value, what: string): boolean {
  return truth(value, what);
}

function truth(value: Value, what: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new ExprValueError(`${what} needs true or false, not ${show(value)}`);
}

/** An arithmetic result beyond what a number holds is an error, not Infinity (JSON has none). */
function finite(result: number, op: string): number {
  if (!Number.isFinite(result)) throw new ExprValueError(`'${op}' gives a number too large to hold`);
  return result;
}

function number(value: Value, what: string): number {
  if (typeof value === 'number') return value;
  throw new ExprValueError(`${what} needs numbers, not ${show(value)}`);
}

function compare(op: '<' | '<=' | '>' | '>=', left: Value, right: Value): boolean {
  const bothNumbers = typeof left === 'number' && typeof right === 'number';
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) throw new ExprValueError(`'${op}' compares two numbers or two strings, not ${show(left)} and ${show(right)}`);
  const order = bothNumbers ? (left as number) - (right as number) : codePointOrder(left as string, right as string);
  return op === '<' ? order < 0 : op === '<=' ? order <= 0 : op === '>' ? order > 0 : order >= 0;
}

function codePointOrder(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function equal(a: Value, b: Value): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  return canonical(a) === canonical(b);
}

/** JSON with mapping keys sorted: equal values, equal text. */
function canonical(value: Value): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A value as a message shows it: short, and as JSON (a string in quotes). */
function show(value: Value): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
